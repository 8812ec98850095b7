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
    config, and which of the config's fields weighs it. ``per_episode``: the module also takes
    the batch's ``episode`` ids (B,), and the batches must hold several windows of each episode
    (``data.per_episode`` > 1)."""

    build: Callable[[LossConfig], nn.Module]
    weight: Callable[[LossConfig], float]
    per_episode: bool = False


REGULARISERS: Registry[Regulariser] = Registry("regulariser")
REGULARISERS.register("sigreg")(
    Regulariser(build=lambda cfg: SIGReg(num_proj=cfg.num_proj), weight=lambda cfg: cfg.sigreg_weight)
)


class EpisodeCentredSIGReg(nn.Module):
    """SIGReg of the latents minus their episode's mean in the batch.

    When nuisances (colours, light, layout) vary across episodes, plain SIGReg can be satisfied
    by what is constant within an episode, which is also trivially predictable, so the latent
    drops the agent. Centring on the episode removes that content from the test: only what
    varies within an episode (what the actions move) can make the latents Gaussian.
    """

    def __init__(self, num_proj: int):
        super().__init__()
        self.sigreg = SIGReg(num_proj=num_proj)

    def forward(self, z: Tensor, generator: torch.Generator | None, episode: Tensor) -> Tensor:
        """z: (B, T, D), episode: (B,) ids (several windows each) -> scalar."""
        _, group = torch.unique(episode, return_inverse=True)
        z32 = z.float()
        sums = z32.new_zeros(int(group.max()) + 1, z.shape[-1]).index_add_(0, group, z32.sum(1))
        counts = torch.bincount(group).to(z32.dtype)[:, None] * z.shape[1]
        return self.sigreg(z32 - (sums / counts)[group][:, None], generator)


REGULARISERS.register("sigreg_episode")(
    Regulariser(
        build=lambda cfg: EpisodeCentredSIGReg(cfg.num_proj),
        weight=lambda cfg: cfg.sigreg_weight,
        per_episode=True,
    )  # fmt: skip
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
    entry = REGULARISERS.get(name)
    reg = regulariser(z, generator, batch["episode_idx"]) if entry.per_episode else regulariser(z, generator)
    terms = {"pred_loss": prediction_loss(z_hat, z[:, 1:]), f"{name}_loss": reg}
    loss = terms["pred_loss"] + entry.weight(cfg) * terms[f"{name}_loss"]
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
