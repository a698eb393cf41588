"""Built-in scenarios (YAML), table-format presets (formats/) and reference data (data/)."""
