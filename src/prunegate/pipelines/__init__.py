"""Kedro pipelines: thin typed nodes that adapt catalog data to the core library."""
