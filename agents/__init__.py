"""The five kinds of actor at Dutch housing tables, one module each.

Every actor answers the same questions about a case's package variants (the Axelrod-style
shared interface): the least it can accept (``reservation``), what it asks first
(``opening``) and how much it has at stake (``stake``); all are claims in EUR per home of
the case on the case's surplus (``sim/valuation.py``).
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
