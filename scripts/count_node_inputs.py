"""Count the project's Kedro nodes and their inputs: the glue measure of issue 14's closing note.

Every registered pipeline except ``__default__`` is read after ``configure_project("prunegate")``; a
node shared by several pipelines (the data-preparation node) is counted once, by name. Prints the node
count, the sum of their inputs and the node with the most inputs, then each node's count.

Usage: ``.venv/bin/python scripts/count_node_inputs.py``
"""

from __future__ import annotations

import sys

from kedro.framework.project import configure_project


def main() -> int:
    configure_project("prunegate")
    from prunegate.pipeline_registry import register_pipelines

    inputs: dict[str, int] = {}
    for name, pipeline in register_pipelines().items():
        if name == "__default__":
            continue
        for node in pipeline.nodes:
            inputs[node.name] = len(node.inputs)
    largest = max(inputs, key=inputs.get)
    lines = [f"{len(inputs)} nodes, {sum(inputs.values())} inputs, largest {largest} ({inputs[largest]})"]
    lines += [f"  {count:3d}  {name}" for name, count in sorted(inputs.items(), key=lambda item: -item[1])]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
