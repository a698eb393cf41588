"""One module per tab of the dashboard; ``dashboard.app.TABS`` lists them in order."""
