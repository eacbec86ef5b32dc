"""The champion: the metrics of the last blessed, promoted model, committed in git for PRs to beat."""

from prunegate.registry.champion import PromotionError, promote

__all__ = ["PromotionError", "promote"]
