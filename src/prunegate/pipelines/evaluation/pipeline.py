"""Evaluation pipeline: every model of the run, the champion model again (same split), optional CV."""

from kedro.pipeline import Pipeline, node, pipeline

from prunegate.pipelines.evaluation.champion_node import evaluate_champion
from prunegate.pipelines.evaluation.cross_validation_node import cross_validate_recipe
from prunegate.pipelines.evaluation.headline import headline_metrics
from prunegate.pipelines.evaluation.measure import prepare_test_split
from prunegate.pipelines.evaluation.nodes import evaluate_models
from prunegate.pipelines.model_inputs import MODEL_INPUTS, model_inputs_node


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            model_inputs_node(),
            node(  # once per run: every model, and the champion, are measured on this one split
                prepare_test_split,
                inputs=[MODEL_INPUTS, "test_table", "params:evaluation", "params:profiling", "ood_table"],
                outputs="test_split",
                name="prepare_test_split",
            ),
            node(
                evaluate_models,
                inputs=["dense_model", "pruned_model", "distilled_model", "test_split"],
                outputs=[
                    "evaluation_metrics",
                    "candidate_metrics",
                    "candidate_model",
                    "candidate_confusion",
                    "candidate_reliability",
                    "candidate_confusion_png",
                    "candidate_reliability_png",
                ],
                name="evaluate_models",
            ),
            node(
                headline_metrics,
                inputs="evaluation_metrics",
                outputs="headline_metrics",
                name="headline_metrics",
            ),
            node(
                evaluate_champion,
                inputs=["champion_model", "candidate_model", "test_split"],
                outputs="champion_metrics_current",
                name="evaluate_champion",
            ),
            node(
                cross_validate_recipe,
                inputs=[
                    MODEL_INPUTS,
                    "params:evaluation",
                    "params:training",
                    "params:ingestion",
                ],
                outputs="cross_validation",
                name="cross_validate_recipe",
            ),
        ]
    )
