"""Figures and tables written to ``data/08_reporting`` (matplotlib, headless)."""
