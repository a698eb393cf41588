"""The ``tafelsim`` console command: one front door to the model, the experiments and the dashboard."""
