"""Distillation pipeline definition."""

from kedro.pipeline import Pipeline, node, pipeline

from prunegate.pipelines.distillation.nodes import distill_student
from prunegate.pipelines.model_inputs import MODEL_INPUTS, model_inputs_node


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            model_inputs_node(),
            node(
                distill_student,
                inputs=[
                    "dense_model",
                    "pruned_model",
                    MODEL_INPUTS,
                    "params:distillation",
                    "params:profiling",
                ],
                outputs=["distilled_model", "distilled_metrics", "distillation_report"],
                name="distill_student",
            ),
        ]
    )
