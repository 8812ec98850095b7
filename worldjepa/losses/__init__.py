"""Training losses: latent prediction MSE and SIGReg (``sigreg``), the objective that combines them
(``objectives``: the objective function and the regulariser registry) and their weights (``config``).

Names are exported lazily: ``LossConfig`` is importable without torch."""

from __future__ import annotations

from typing import TYPE_CHECKING

from worldjepa.lazy import lazy_exports

if TYPE_CHECKING:
    from worldjepa.losses.config import LossConfig  # noqa: F401
    from worldjepa.losses.objectives import REGULARISERS, TrainStep, build_regulariser, objective  # noqa: F401
    from worldjepa.losses.sigreg import SIGReg, prediction_loss  # noqa: F401

_EXPORTS = {
    "LossConfig": "config",
    "SIGReg": "sigreg",
    "prediction_loss": "sigreg",
    "objective": "objectives",
    "TrainStep": "objectives",
    "REGULARISERS": "objectives",
    "build_regulariser": "objectives",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
