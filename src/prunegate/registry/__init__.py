"""The champion: the last blessed, promoted model and its metrics, committed in git for PRs to beat."""

from prunegate.registry.champion import PromotionError, promote, restore_champion

__all__ = ["PromotionError", "promote", "restore_champion"]
