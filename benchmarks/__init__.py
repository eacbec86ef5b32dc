"""Benchmarks run as commands (``make bench-*``), never as timed tests."""
