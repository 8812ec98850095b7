"""``LossConfig``: the weights of the training objective (no torch here: configs compose cheaply)."""

from __future__ import annotations

from dataclasses import dataclass

from worldjepa.config.fields import opt


@dataclass
class LossConfig:
    """The LeWorldModel objective: ``pred MSE + sigreg_weight * SIGReg(z)`` (+ optional terms).

    The VCReg weights are stable-worldmodel's PLDM config (variance 18, temporal variance 0.7,
    covariance 12; smoothness 0.2 in ``recipe=pldm``)."""

    regulariser: str = opt(
        "sigreg", "anti-collapse term on z (none: the collapse control; ema: an EMA target encoder)",
        choices="worldjepa.losses.objectives:REGULARISERS",
    )  # fmt: skip
    sigreg_weight: float = opt(0.09, "lambda: weight of SIGReg (LeWM's 0.09)", ge=0)
    num_proj: int = opt(1024, "SIGReg random directions, fresh each step", ge=1)
    var_weight: float = opt(18.0, "vcreg: weight of the hinge on each dimension's std across the batch", ge=0)
    var_t_weight: float = opt(0.7, "vcreg: weight of the same hinge across each window's frames", ge=0)
    cov_weight: float = opt(12.0, "vcreg: weight of the off-diagonal covariance penalty", ge=0)
    ema_momentum: float = opt(0.99, "ema: target = momentum x target + (1 - momentum) x online, each step",
                              ge=0, lt=1)  # fmt: skip
    smooth_weight: float = opt(0.0, "> 0: + this x MSE(z_t, z_t+1), PLDM's temporal smoothness", ge=0)
    idm_weight: float = opt(
        0.0, "> 0: + this x inverse-dynamics MSE (needs model.idm_hidden > 0; not LeWM)", ge=0
    )
    rollout_steps: int = opt(1, "k > 1: + the error of the model's own k-step rollouts (what planning "
                             "runs) from the window's first frames; needs data.num_steps > k", ge=1)  # fmt: skip
    rollout_weights: list[float] = opt([], "weight of each rollout step 1..k (empty: 1/k each)")
