"""The five kinds of actor at Dutch housing tables, one module each.

Every actor answers the same two questions about a case (the Axelrod-style shared
interface): what is the least it can accept (``reservation``), and what does it ask
first (``opening``). Both are claims in EUR per home of the case on the case's surplus.
"""

from agents.base import Actor, Economy
from agents.corporation import Corporation
from agents.developer import Developer
from agents.investor import Investor
from agents.municipality import Municipality
from agents.tenant_organisation import TenantOrganisation

KINDS = {
    "municipality": Municipality,
    "corporation": Corporation,
    "investor": Investor,
    "developer": Developer,
    "tenant": TenantOrganisation,
}

__all__ = ["Actor", "Economy", "Municipality", "Corporation", "Investor", "Developer", "TenantOrganisation", "KINDS"]
