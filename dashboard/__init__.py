"""The interactive dashboard: design two tables, run them on common seeds, compare them.

``tafelsim dashboard`` serves a Dash app (``dashboard.app``). Each tab of the page is one
module in ``dashboard/tabs/`` with a ``layout()`` and a ``register(app)``; adding a tab
(the sweep explorer, for one) means adding a module and listing it in ``dashboard.app.TABS``.
The dashboard only reads the model's public surface (``sim.run``, the parameter and metric
declarations, scenarios, presets, ``sim.storage``), so it never needs changing when the
model's internals do.
"""
