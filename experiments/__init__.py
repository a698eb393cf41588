"""Experiments on the model: sweeps over policies, parameters and seeds, their analysis and reports.

``load_experiment`` reads an experiment file; ``experiments.sweep.run_sweep`` runs it;
``experiments.results`` reads a result directory; ``experiments.analysis`` compares
policies and ranks parameters; ``experiments.report`` writes one offline page.
"""

from experiments.spec import Experiment, ExperimentError, load_experiment

__all__ = ["Experiment", "ExperimentError", "load_experiment"]
