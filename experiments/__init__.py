"""Experiments on the model: sweeps over policies, parameters and seeds, their analysis and reports.

``load_experiment`` reads an experiment file; ``experiments.sweep.run_sweep`` runs it;
``experiments.results`` reads a result directory; ``experiments.analysis`` compares
policies and ranks parameters; ``experiments.report`` writes one offline page.
"""

__all__ = ["Experiment", "ExperimentError", "load_experiment"]


def __getattr__(name: str):
    """Import on first use: ``tafelsim --help`` imports ``experiments.cli``, and the experiment
    files' validation pulls in pandas (about 0.4 s) that the help text does not need."""
    if name in __all__:
        from experiments import spec
        return getattr(spec, name)
    raise AttributeError(f"module 'experiments' has no attribute {name!r}")
