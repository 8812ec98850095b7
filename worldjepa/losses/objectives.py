"""The training objective, outside the model: ``objective(model, batch, cfg, generator) -> terms``.

    terms = {"pred_loss": ..., "<regulariser term>_loss": ..., ["smooth_loss", "rollout_loss",
             "idm_loss": ...,] "loss": weighted sum, "z": (B, T, D) latents, for monitors}

Every 0-dim entry is a named loss term (the logger records each one); ``loss`` is what the
optimiser minimises. The anti-collapse regulariser comes from ``REGULARISERS`` by name
(``LossConfig.regulariser``), built once per run by ``build_regulariser``: ``sigreg`` (LeWM),
``sigreg_episode``, ``vcreg`` (PLDM), ``ema`` (an EMA target encoder, stop-gradient targets)
and ``none`` (the control that collapses). A new one registers itself there instead of editing
the model or the trainer.
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
    """How to build a regulariser module ``(z (B, T, D), generator) -> scalar`` (or a dict of
    named scalar terms) from the loss config, and the weight of its scalar (or ``{term:
    weight}``). ``per_episode``: the module also takes the batch's ``episode`` ids (B,), and the
    batches must hold several windows of each episode (``data.per_episode`` > 1). ``target``:
    builds, from the config and the online model, the module whose output replaces z as the
    prediction target (an EMA encoder); it has ``update(model)``, called after every step."""

    build: Callable[[LossConfig], nn.Module]
    weight: Callable[[LossConfig], float | dict[str, float]]
    per_episode: bool = False
    target: Callable[[LossConfig, nn.Module], nn.Module] | None = None


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


class NoTerm(nn.Module):
    """No anti-collapse term: nothing stops the encoder from mapping every frame to one point."""

    def forward(self, z: Tensor, generator: torch.Generator | None = None) -> dict[str, Tensor]:
        return {}


def _vcreg(cfg: LossConfig) -> nn.Module:
    from worldjepa.losses.vcreg import VCReg

    return VCReg()


def _ema(cfg: LossConfig, model: nn.Module) -> nn.Module:
    from worldjepa.losses.ema import EMATarget

    return EMATarget(model, cfg.ema_momentum)


REGULARISERS.register("vcreg")(
    Regulariser(
        build=_vcreg,
        weight=lambda cfg: {"var": cfg.var_weight, "var_t": cfg.var_t_weight, "cov": cfg.cov_weight},
    )
)
REGULARISERS.register("none")(Regulariser(build=lambda cfg: NoTerm(), weight=lambda cfg: {}))
REGULARISERS.register("ema")(Regulariser(build=lambda cfg: NoTerm(), weight=lambda cfg: {}, target=_ema))


def build_regulariser(cfg: LossConfig) -> nn.Module:
    """The module ``cfg.regulariser`` names (move it to the training device once)."""
    return REGULARISERS.get(cfg.regulariser).build(cfg)


def objective(
    model,
    batch,
    cfg: LossConfig,
    generator: torch.Generator | None = None,
    regulariser: nn.Module | None = None,
    target: nn.Module | None = None,
) -> dict[str, Tensor]:
    """batch: pixels (B, T, 3, H, W) uint8, action (B, T, fs*A) raw -> terms (see the module doc).

    Teacher forcing: predict z[:, 1:] from z[:, :-1] and action[:, :-1]. Gradients reach the
    encoder through both the prediction and the target (no stop-gradient, no EMA); the
    regulariser on z is what prevents the collapsed solution. With a ``target`` module (the
    ``ema`` entry's) the targets are its latents instead, without gradients. ``generator``
    draws SIGReg's random directions: seed it from the step, identically on every DDP rank.
    ``regulariser`` is the run's prebuilt module (built here from ``cfg`` when omitted).

    Optional terms: ``smooth_weight`` (PLDM's temporal smoothness), ``rollout_steps`` k > 1 (the
    model's own k-step rollout, ``rollout_loss``), and ``idm_weight``: the inverse-dynamics head
    predicts each (standardised) action block from the latents on either side of it, which
    makes the latent keep what the actions move (a JEPA may otherwise drop a small agent).
    """
    entry = REGULARISERS.get(cfg.regulariser)
    if entry.target is not None and target is None:  # online targets would train the `none` control
        raise ValueError(f"loss.regulariser={cfg.regulariser} needs its target module (TrainStep builds it)")
    if regulariser is None:
        regulariser = build_regulariser(cfg)
    pixels, actions = batch["pixels"], batch["action"]
    z = model.encode(pixels)
    z_tgt = z if target is None else target(pixels)
    z_hat = model.predict(z[:, :-1], actions[:, :-1])
    terms = {"pred_loss": prediction_loss(z_hat, z_tgt[:, 1:])}
    loss = terms["pred_loss"]
    args = (z, generator, batch["episode_idx"]) if entry.per_episode else (z, generator)
    for name, value, weight in _weighed(cfg.regulariser, regulariser(*args), entry.weight(cfg)):
        terms[name] = value
        loss = loss + weight * value
    if cfg.smooth_weight > 0:
        terms["smooth_loss"] = F.mse_loss(z[:, 1:].float(), z[:, :-1].float())
        loss = loss + cfg.smooth_weight * terms["smooth_loss"]
    if cfg.rollout_steps > 1:
        terms["rollout_loss"] = rollout_loss(model, z, z_tgt, actions, rollout_weights(cfg))
        loss = loss + terms["rollout_loss"]
    if cfg.idm_weight > 0:
        if model.idm is None:
            raise ValueError("LossConfig.idm_weight > 0 needs a model built with idm_hidden > 0")
        a_hat = model.idm(torch.cat([z[:, :-1], z[:, 1:]], dim=-1))
        terms["idm_loss"] = F.mse_loss(a_hat.float(), model.normalise_actions(actions[:, :-1]))
        loss = loss + cfg.idm_weight * terms["idm_loss"]
    return {"loss": loss, **terms, "z": z}


def _weighed(name: str, out, weight) -> list[tuple[str, Tensor, float]]:
    """A regulariser's output (a scalar, or {term: scalar}) -> [(logged name, value, weight)]."""
    if isinstance(out, Tensor):
        return [(f"{name}_loss", out, float(weight))]
    return [(f"{term}_loss", value, float(weight[term])) for term, value in out.items()]


def rollout_weights(cfg: LossConfig) -> list[float]:
    """The weight of each rollout step 1..k: ``cfg.rollout_weights``, or 1/k each."""
    k = cfg.rollout_steps
    return list(cfg.rollout_weights) or [1.0 / k] * k


def rollout_error(
    model, z: Tensor, actions: Tensor, context: int = 1, target: Tensor | None = None
) -> Tensor:
    """z: (B, T, D) encoded frames, actions: (B, T, fs*A) raw -> (T - context,) the MSE of the
    model's own open-loop rollout from the first ``context`` frames at each step ahead (what
    planning relies on, and teacher forcing does not measure), against ``target`` (B, T, D)
    (default: z). Gradients flow through the whole rollout."""
    target = z if target is None else target
    ctx = actions[:, : context - 1] if context > 1 else None
    k = z.shape[1] - context
    pred = model.rollout(z[:, :context], actions[:, None, context - 1 : context - 1 + k], ctx)[
        :, 0
    ]  # (B, k, D)
    return (pred.float() - target[:, context:].float()).pow(2).mean(dim=(0, 2))


def rollout_loss(model, z: Tensor, z_tgt: Tensor, actions: Tensor, weights: list[float]) -> Tensor:
    """z, z_tgt: (B, T, D), actions: (B, T, fs*A) raw -> scalar sum_h weights[h-1] x MSE at step h:
    ``rollout_error`` of k = len(weights) steps from the window's first T - k frames (as
    planning rolls out from its history)."""
    per_step = rollout_error(model, z, actions, context=z.shape[1] - len(weights), target=z_tgt)  # (k,)
    return (per_step * per_step.new_tensor(weights)).sum()


class TrainStep(nn.Module):
    """The model and its objective as one module, so that ``DDP(TrainStep(...))(batch, gen)``
    goes through ``forward`` (DDP syncs gradients only for calls that do). Its trainable
    parameters are the model's (an EMA target's are frozen); the regulariser is built once
    here, not every step."""

    def __init__(self, model: nn.Module, cfg: LossConfig):
        super().__init__()
        self.model, self.cfg = model, cfg
        self.regulariser = build_regulariser(cfg)
        build_target = REGULARISERS.get(cfg.regulariser).target
        self.target = build_target(cfg, model) if build_target is not None else None

    def forward(self, batch, generator: torch.Generator | None = None) -> dict[str, Tensor]:
        return objective(self.model, batch, self.cfg, generator, self.regulariser, self.target)

    def after_step(self) -> None:
        """After each optimiser step: move the target encoder, if the objective has one."""
        if self.target is not None:
            self.target.update(self.model)

    def objective_state(self) -> dict:
        """What besides the model's weights a resumed run needs: the target encoder's weights."""
        return {} if self.target is None else {"target": self.target.state_dict()}

    def load_objective_state(self, state: dict) -> None:
        if self.target is not None:
            self.target.load_state_dict(state["target"])
