"""tafelsim: an agent-based model of Dutch housing negotiation tables.

The public entry point is :func:`sim.run`; everything else (CLI, sweeps, dashboard)
is a view on it.
"""

__version__ = "0.5.1"

__all__ = ["run", "RunResult", "__version__"]


def __getattr__(name):
    """``sim.run`` and ``sim.RunResult`` import the model (mesa, pandas) on first use, so that
    importing a light module such as ``sim.params`` (and ``tafelsim --help``) stays fast."""
    if name in ("run", "RunResult"):
        from sim import runner
        return getattr(runner, name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
