"""Monitoring pipeline definition."""

from kedro.pipeline import Pipeline, node, pipeline

from prunegate.pipelines.monitoring.nodes import monitor_traffic


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            node(
                monitor_traffic,
                inputs=["train_table", "params:monitoring", "params:ingestion", "previous_champion_model"],
                outputs=["monitoring_summary", "drift_report_html"],
                name="monitor_traffic",
            ),
        ]
    )
