"""Demonstrations that run the real pipeline in a temporary copy of the project."""
