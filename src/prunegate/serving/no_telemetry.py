"""Telemetry off wherever the service runs: no outbound connection from a serving process.

Two libraries of the serving path phone home unless told not to (found by running the server under
``strace -f -e trace=connect``):

- BentoML's usage tracking posts to ``t.bentoml.com`` from a ``bentoml serve`` process. It reads
  ``BENTOML_DO_NOT_TRACK`` once and caches the answer, and the CLI asks before it imports the service,
  so the cached answer is cleared here too.
- ONNX Runtime (1.2x+, its 1DS telemetry) looks up ``mobile.events.data.microsoft.com`` ~9 s after a
  session is created; ``onnxruntime.disable_telemetry_events()`` does not stop the lookup, but
  ``ORT_DISABLE_TELEMETRY=1`` does, read once when onnxruntime is imported.

A value the user set explicitly is kept.
"""

from __future__ import annotations

import os
import sys

__all__ = ["TELEMETRY_OFF", "turn_off_telemetry"]

TELEMETRY_OFF = {"BENTOML_DO_NOT_TRACK": "True", "ORT_DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1"}
_BENTOML_USAGE_STATS = "bentoml._internal.utils.analytics.usage_stats"


def turn_off_telemetry() -> None:
    """Set the variables of :data:`TELEMETRY_OFF` (unless set) and drop BentoML's cached decision."""
    for name, value in TELEMETRY_OFF.items():
        os.environ.setdefault(name, value)
    usage_stats = sys.modules.get(_BENTOML_USAGE_STATS)
    cached = getattr(usage_stats, "do_not_track", None)
    if cached is not None and hasattr(cached, "cache_clear"):
        cached.cache_clear()
