"""Serving: the BentoML service (:mod:`.service`), its runtimes, request schemas, model holder and logs.

Import the submodules directly; importing this package imports nothing heavy (no bentoml, no torch).
It turns telemetry off first (:mod:`.no_telemetry`), so that every serving process starts with it off.
"""

from prunegate.serving.no_telemetry import turn_off_telemetry

turn_off_telemetry()
