"""Gate pipeline: blessing and report saved first, then the candidate is shipped or the run stops."""

from kedro.pipeline import Pipeline, node, pipeline

from prunegate.pipelines.gate.nodes import gate_candidate, ship_if_blessed


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            node(
                gate_candidate,
                inputs=[
                    "candidate_metrics",
                    "evaluation_metrics",
                    "champion_metrics",
                    "champion_metrics_current",
                    "params:gate",
                ],
                outputs=["blessing", "gate_report"],
                name="gate_candidate",
            ),
            node(
                ship_if_blessed,
                inputs=["blessing", "gate_report", "candidate_model"],
                outputs="shipped_model",
                name="ship_if_blessed",
            ),
        ]
    )
