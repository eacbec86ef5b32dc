"""The DVC metrics are a headline per model, not every number of the evaluation."""

from prunegate.pipelines.evaluation.headline import headline_metrics


def test_the_headline_keeps_quality_robustness_and_size_and_drops_the_rest():
    headline = {
        "accuracy": 0.98,
        "f1_macro": 0.97,
        "ece": 0.02,
        "accuracy_noise_2": 0.95,
        "accuracy_fgsm_1": 0.7,
        "macs": 5030,
        "params": 5119,
        "size_bytes": 27597,
        "estimated_energy_uj": 21.5,
    }
    dropped = {
        "latency_ms_p50_b1": 0.1,
        "measured_energy_uj": 300.0,
        "per_class": [{"f1": 1.0}],
        "slices": {"class=0": {"accuracy": 1.0}},
        "test_split_fingerprint": "abc",
    }
    assert headline_metrics({"pruned": {**headline, **dropped}}) == {"pruned": headline}
