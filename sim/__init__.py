"""tafelsim: an agent-based model of Dutch housing negotiation tables.

The public entry point is :func:`sim.run`; everything else (CLI, sweeps, dashboard)
is a view on it.
"""

__version__ = "0.2.0"

from sim.runner import RunResult, run  # noqa: E402

__all__ = ["run", "RunResult", "__version__"]
