"""Tabular data handling that needs no Kedro: reading tables, splitting, turning rows into tensors."""
