"""Scan measures: the loss moves with confidence where accuracy ties; unknown names list the known ones."""

import numpy as np
import pytest
import torch
from benchmarks.scan_agreement import summarise_scan
from torch import nn

from prunegate.core.pruning.scan_measures import get_scan_measure


class _Fixed(nn.Module):
    def __init__(self, logits):
        super().__init__()
        self.logits = logits

    def forward(self, x):
        return self.logits[: len(x)]


def test_loss_sees_a_confidence_change_that_accuracy_ties():
    split = (torch.zeros(2, 3), torch.tensor([0, 1]))
    confident = _Fixed(torch.tensor([[4.0, 0.0], [0.0, 4.0]]))
    hesitant = _Fixed(torch.tensor([[0.6, 0.0], [0.0, 0.6]]))
    accuracy, loss = get_scan_measure("accuracy"), get_scan_measure("loss")
    assert accuracy(confident, split) == accuracy(hesitant, split) == 1.0
    assert loss(hesitant, split) > loss(confident, split) > 0
    assert accuracy.higher_is_better and not loss.higher_is_better


def test_an_unknown_scan_measure_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"known scan measures: \['accuracy', 'loss'\]"):
        get_scan_measure("f1")


def test_two_halves_of_a_clean_signal_agree_and_ties_are_counted():
    rows = 400
    dense = np.ones(rows)
    signal = {("g", r): np.full(rows, 1.0 - r) for r in (0.1, 0.2, 0.3, 0.4)}
    signal[("h", 0.1)] = np.ones(rows)  # no change at all: a tie with not pruning
    summary = summarise_scan(dense, signal, higher_is_better=True, seed=0)
    assert summary["agreement"] == pytest.approx(1.0)
    assert summary["ties"] == pytest.approx(1 / 5)
    assert summary["relative_spread"] == pytest.approx(0.0)


def test_pure_noise_does_not_agree():
    generator = np.random.default_rng(1)
    dense = generator.normal(size=300)
    noise = {(f"g{i}", 0.5): generator.normal(size=300) for i in range(30)}
    assert abs(summarise_scan(dense, noise, higher_is_better=True, seed=0)["agreement"]) < 0.5
