"""``LossConfig``: the weights of the training objective (no torch here: configs compose cheaply)."""

from __future__ import annotations

from dataclasses import dataclass

from worldjepa.config.fields import opt


@dataclass
class LossConfig:
    """The LeWorldModel objective: ``pred MSE + sigreg_weight * SIGReg(z)`` (+ optional terms)."""

    regulariser: str = opt(
        "sigreg", "anti-collapse term on z", choices="worldjepa.losses.objectives:REGULARISERS"
    )
    sigreg_weight: float = opt(0.09, "lambda: weight of SIGReg (LeWM's 0.09)", ge=0)
    num_proj: int = opt(1024, "SIGReg random directions, fresh each step", ge=1)
    idm_weight: float = opt(
        0.0, "> 0: + this x inverse-dynamics MSE (needs model.idm_hidden > 0; not LeWM)", ge=0
    )
