"""The training objective, outside the model: ``objective(model, batch, cfg, generator) -> terms``.

    terms = {"pred_loss": ..., "<regulariser>_loss": ..., ["idm_loss": ...,] "loss": weighted sum,
             "z": (B, T, D) latents, for monitors}

Every 0-dim entry is a named loss term (the logger records each one); ``loss`` is what the
optimiser minimises. The anti-collapse regulariser comes from ``REGULARISERS`` by name
(``LossConfig.regulariser``), built once per run by ``build_regulariser``; the next baseline
(VCReg, an EMA target) registers itself there instead of editing the model or the trainer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from worldjepa.losses.config import LossConfig
from worldjepa.losses.sigreg import SIGReg, prediction_loss
from worldjepa.registry import Registry


@dataclass(frozen=True)
class Regulariser:
    """How to build a regulariser module ``(z (B, T, D), generator) -> scalar`` from the loss
    config, and which of the config's fields weighs it."""

    build: Callable[[LossConfig], nn.Module]
    weight: Callable[[LossConfig], float]


REGULARISERS: Registry[Regulariser] = Registry("regulariser")
REGULARISERS.register("sigreg")(
    Regulariser(build=lambda cfg: SIGReg(num_proj=cfg.num_proj), weight=lambda cfg: cfg.sigreg_weight)
)


def build_regulariser(cfg: LossConfig) -> nn.Module:
    """The module ``cfg.regulariser`` names (move it to the training device once)."""
    return REGULARISERS.get(cfg.regulariser).build(cfg)


def objective(
    model,
    batch,
    cfg: LossConfig,
    generator: torch.Generator | None = None,
    regulariser: nn.Module | None = None,
) -> dict[str, Tensor]:
    """batch: pixels (B, T, 3, H, W) uint8, action (B, T, fs*A) raw -> terms (see the module doc).

    Teacher forcing: predict z[:, 1:] from z[:, :-1] and action[:, :-1]. Gradients reach the
    encoder through both the prediction and the target (no stop-gradient, no EMA); the
    regulariser on z is what prevents the collapsed solution. ``generator`` draws its random
    directions: seed it from the step, identically on every DDP rank. ``regulariser`` is the
    run's prebuilt module (built here from ``cfg`` when omitted).

    With ``cfg.idm_weight`` > 0 the model's inverse-dynamics head also predicts each
    (standardised) action block from the latents on either side of it (``idm_loss``): it makes
    the latent keep what the actions move, which a JEPA may otherwise drop for a small agent.
    """
    name = cfg.regulariser
    if regulariser is None:
        regulariser = build_regulariser(cfg)
    pixels, actions = batch["pixels"], batch["action"]
    z = model.encode(pixels)
    z_hat = model.predict(z[:, :-1], actions[:, :-1])
    terms = {"pred_loss": prediction_loss(z_hat, z[:, 1:]), f"{name}_loss": regulariser(z, generator)}
    loss = terms["pred_loss"] + REGULARISERS.get(name).weight(cfg) * terms[f"{name}_loss"]
    if cfg.idm_weight > 0:
        if model.idm is None:
            raise ValueError("LossConfig.idm_weight > 0 needs a model built with idm_hidden > 0")
        a_hat = model.idm(torch.cat([z[:, :-1], z[:, 1:]], dim=-1))
        terms["idm_loss"] = F.mse_loss(a_hat.float(), model.normalise_actions(actions[:, :-1]))
        loss = loss + cfg.idm_weight * terms["idm_loss"]
    return {"loss": loss, **terms, "z": z}


class TrainStep(nn.Module):
    """The model and its objective as one module, so that ``DDP(TrainStep(...))(batch, gen)``
    goes through ``forward`` (DDP syncs gradients only for calls that do). Its parameters are
    the model's; the regulariser is built once here, not every step."""

    def __init__(self, model: nn.Module, cfg: LossConfig):
        super().__init__()
        self.model, self.cfg = model, cfg
        self.regulariser = build_regulariser(cfg)

    def forward(self, batch, generator: torch.Generator | None = None) -> dict[str, Tensor]:
        return objective(self.model, batch, self.cfg, generator, self.regulariser)
