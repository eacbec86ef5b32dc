"""Serving: the BentoML service (:mod:`.service`), its runtimes, request schemas, model holder and logs.

Import the submodules directly; importing this package imports nothing heavy (no bentoml, no torch).
"""
