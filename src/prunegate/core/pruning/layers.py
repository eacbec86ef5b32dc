"""Which layers pruning may touch: every Linear / convolution except the final classifier."""

from __future__ import annotations

from torch import nn

__all__ = ["PRUNABLE_TYPES", "prunable_layers"]

PRUNABLE_TYPES: tuple[type[nn.Module], ...] = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


def prunable_layers(model: nn.Module) -> dict[str, nn.Module]:
    """Every ``nn.Linear`` / ``nn.Conv{1,2,3}d`` of ``model`` by qualified name, except ``model.classifier``.

    The classifier is never pruned: its outputs are the class logits. The order is registration order,
    which for :class:`~prunegate.core.models.MultiLayerPerceptron` and
    :class:`~prunegate.core.models.ConvNet` is the forward order (``conv_layers.*`` then
    ``hidden_layers.*``).

    Args:
        model: A model exposing its output layer as ``model.classifier``.

    Returns:
        Qualified module name (e.g. ``"hidden_layers.0"``) -> layer.
    """
    classifier = getattr(model, "classifier", None)
    return {
        name: module
        for name, module in model.named_modules()
        if isinstance(module, PRUNABLE_TYPES) and module is not classifier
    }
