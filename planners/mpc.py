"""Model-predictive control in latent space, batched over B environments.

Every ``frameskip`` env steps (a block boundary) the policy encodes the current frame into its
history; every ``replan_every`` blocks it re-plans a ``horizon``-block action sequence by
minimising the latent goal distance (``planners.costs``). Between boundaries it replays the
current block one env step at a time.

``hold_actions`` makes the planner search one action per block, held for its ``frameskip``
env steps (action repeat): A dims per block instead of fs*A. Independent per-step samples
average out within a block, so sampled plans barely move the agent and look nothing like
the smooth demonstrations the model learnt from; held actions explore ~sqrt(fs) further
with fs times fewer dimensions to search.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Protocol

import numpy as np
import torch
from einops import rearrange, repeat
from torch import Tensor

from worldjepa.config.fields import validate
from worldjepa.errors import ConfigError
from worldjepa.planners.base import Planner, make_planner
from worldjepa.planners.config import MPCConfig
from worldjepa.planners.costs import action_penalty, goal_cost


class LatentDynamics(Protocol):
    """What MPC needs from a world model (``WorldModel`` satisfies it)."""

    def encode(self, pixels: Tensor) -> Tensor:
        """pixels: (B, T, 3, H, W) uint8 -> z: (B, T, D)."""
        ...

    def rollout(self, z_ctx: Tensor, actions: Tensor, actions_ctx: Tensor | None = None) -> Tensor:
        """z_ctx: (B, H0, D), actions: (B, S, H, fs*A), actions_ctx: (B, H0-1, fs*A) -> (B, S, H, D)."""
        ...


def _block_bound(value, action_dim: int, tile: int, device: torch.device) -> Tensor:
    """A per-step bound (scalar or (A,)) -> (tile*A,), tiled to match the step-major block layout."""
    per_step = torch.tensor(np.broadcast_to(np.asarray(value, np.float32), (action_dim,)), device=device)
    return repeat(per_step, "a -> (f a)", f=tile)


class MPCPolicy:
    """Receding-horizon planner-in-the-loop. ``act`` maps frames (B, H, W, 3) -> actions (B, A).

    Actions are in raw env units (the world model normalises them itself). The planner works
    on blocks of P values per horizon step, bounded by ``action_low/high``: P = fs*A laid out
    step-major, or P = A with ``hold_actions`` (one action held for the whole block).
    """

    def __init__(
        self,
        model: LatentDynamics,
        planner: Planner | None = None,
        *,
        frameskip: int,
        action_dim: int,
        action_low,
        action_high,
        num_hist: int,
        config: MPCConfig | None = None,
        seed: int = 0,
        device: str | torch.device = "cpu",
        **overrides,
    ):
        """The MPC settings (horizon, cost, held actions, ...) are ``config`` (default: the
        ``MPCConfig`` defaults, which ``worldjepa eval`` uses) with ``overrides``; ``planner``
        defaults to the one ``config.planner`` describes. frameskip, action_dim, the bounds and
        num_hist describe the model and its data (``for_checkpoint`` reads them)."""
        cfg = config if config is not None else MPCConfig()
        unknown = sorted(set(overrides) - {f.name for f in dataclasses.fields(cfg)})
        if unknown:
            raise ConfigError(f"MPCPolicy has no setting '{unknown[0]}'; see worldjepa.planners.MPCConfig")
        self.cfg = cfg = dataclasses.replace(cfg, **overrides)
        validate(cfg)
        self.device = torch.device(device)
        self.model = model
        self.planner = (
            planner if planner is not None else make_planner(cfg.planner, seed=seed, device=self.device)
        )
        self.horizon, self.frameskip, self.action_dim = cfg.horizon, frameskip, action_dim
        self.num_hist, self.replan_every, self.cost = num_hist, cfg.replan_every, cfg.cost
        self.hold_actions, self.action_weight = cfg.hold_actions, cfg.action_weight
        # bf16 rollouts plan ~1.5-2x faster on CPUs with avx512_bf16/AMX and on GPUs; on a
        # dim-128 predictor the CEM elites agree ~98% with float32.
        self.autocast_dtype = torch.bfloat16 if cfg.amp == "bf16" else None
        tile = 1 if self.hold_actions else frameskip
        self.bounds = (
            _block_bound(action_low, action_dim, tile, self.device),
            _block_bound(action_high, action_dim, tile, self.device),
        )
        if isinstance(model, torch.nn.Module):
            model.eval()  # BatchNorm running stats, no dropout
        self.last_plan_time = 0.0
        self.total_plan_time = 0.0
        self.z_goal: Tensor | None = None

    @classmethod
    def for_checkpoint(
        cls, model: LatentDynamics, preprocess: dict, config: MPCConfig | None = None, *, seed: int = 0,
        device: str | torch.device = "cpu", **overrides,
    ) -> MPCPolicy:  # fmt: skip
        """An MPC policy for a trained checkpoint: its model and ``preprocess.json`` (frameskip,
        action dim and bounds, history length) with ``config`` / ``overrides`` as in ``__init__``."""
        return cls(
            model,
            frameskip=preprocess["frameskip"],
            action_dim=preprocess["action_dim"],
            action_low=preprocess["action_low"],
            action_high=preprocess["action_high"],
            num_hist=preprocess["num_hist"],
            config=config,
            seed=seed,
            device=device,
            **overrides,
        )

    # ------------------------------------------------------------------------------------
    def _encode(self, pixels, batch: int | None = None) -> Tensor:
        """pixels: (B, H, W, 3) uint8 numpy or tensor -> z: (B, D). ``batch``: the B it must have."""
        given = pixels if isinstance(pixels, Tensor) else np.asarray(pixels)
        x = torch.as_tensor(given)
        size = getattr(getattr(self.model, "cfg", None), "image_size", None)
        shape = f"(B, {size}, {size}, 3)" if size else "(B, H, W, 3)"
        if x.dim() != 4 or x.shape[-1] != 3 or (size and tuple(x.shape[1:3]) != (size, size)):
            raise ValueError(f"MPCPolicy takes frames {shape} uint8; got shape {tuple(x.shape)}")
        if x.dtype != torch.uint8:
            raise ValueError(f"MPCPolicy takes uint8 frames (0..255) like the env renders; got {given.dtype}")
        if batch is not None and x.shape[0] != batch:
            raise ValueError(f"act got {x.shape[0]} frames but reset had {batch} goals: one frame per env")
        return self.model.encode(rearrange(x.to(self.device), "b h w c -> b 1 c h w"))[:, 0]

    @torch.no_grad()  # not inference_mode: gradient planners differentiate through these latents
    def reset(self, goal_pixels) -> None:
        """goal_pixels: (B, H, W, 3) uint8. Encodes the goals once; clears history and plan."""
        self.z_goal = self._encode(goal_pixels)  # (B, D)
        self._z_hist: Tensor | None = None  # (B, n <= num_hist, D) latents at block boundaries
        self._a_hist: Tensor | None = None  # (B, n-1, fs*A) blocks executed between them
        self._plan: Tensor | None = None  # (B, horizon, P), the plan being executed
        self._blocks_done = 0  # blocks of self._plan already executed
        self._block: Tensor | None = None  # (B, fs, A), the block being executed
        self._step = 0  # env steps since reset
        self.total_plan_time = 0.0
        # Latent squared distances to the goal, for videos and diagnostics: "actual" at each block
        # boundary (the encoded frame), "predicted" where the executed plan's rollout expected
        # each boundary to be. Lists of (env step, (B,) float32).
        self.distances: dict[str, list[tuple[int, np.ndarray]]] = {"actual": [], "predicted": []}

    def _to_blocks(self, plan: Tensor) -> Tensor:
        """plan: (..., P) planner space -> (..., fs*A) env-step blocks."""
        return repeat(plan, "... a -> ... (f a)", f=self.frameskip) if self.hold_actions else plan

    def _rollout(self, actions: Tensor) -> Tensor:
        """actions: (B, S, horizon, P) planner space -> imagined latents (B, S, horizon, D) float32."""
        blocks = self._to_blocks(actions)
        if self.autocast_dtype is None:
            return self.model.rollout(self._z_hist, blocks, self._a_hist).float()
        with torch.autocast(self.device.type, dtype=self.autocast_dtype):
            return self.model.rollout(self._z_hist, blocks, self._a_hist).float()

    def _cost(self, actions: Tensor) -> Tensor:
        """actions: (B, S, horizon, P) planner space -> (B, S): goal distance, plus
        ``action_weight`` x the mean squared action (in half-ranges) when it is > 0."""
        cost = goal_cost(self._rollout(actions), self.z_goal, self.cost)
        if self.action_weight:
            cost = cost + self.action_weight * action_penalty(actions, *self.bounds)
        return cost

    def _replan(self) -> None:
        B = self.z_goal.shape[0]
        if self._plan is None:
            warm = torch.zeros(B, self.horizon, self.bounds[0].numel(), device=self.device)
        else:  # shift out the executed blocks, pad the tail with zeros
            rest = self._plan[:, self._blocks_done :]
            warm = torch.cat([rest, torch.zeros_like(self._plan[:, : self._blocks_done])], dim=1)
        start = time.perf_counter()
        self._plan = self.planner.plan(self._cost, warm, self.bounds).to(self.device)
        self.last_plan_time = time.perf_counter() - start
        self.total_plan_time += self.last_plan_time
        self._blocks_done = 0
        # What the chosen plan expects at the boundaries it will execute before the next replan.
        with torch.no_grad():
            d2 = (
                (self._rollout(self._plan[:, None])[:, 0] - self.z_goal[:, None]).pow(2).sum(-1)
            )  # (B, horizon)
        for k in range(self.replan_every):
            self.distances["predicted"].append(
                (self._step + (k + 1) * self.frameskip, d2[:, k].cpu().numpy())
            )

    def _push_history(self, z: Tensor) -> None:
        """Append the boundary latent z (B, D) and the block that led to it, keep num_hist."""
        if self._z_hist is None:
            self._z_hist = z[:, None]
            return
        executed = rearrange(self._block, "b f a -> b 1 (f a)")
        self._a_hist = executed if self._a_hist is None else torch.cat([self._a_hist, executed], 1)
        self._z_hist = torch.cat([self._z_hist, z[:, None]], 1)[:, -self.num_hist :]
        self._a_hist = self._a_hist[:, self._a_hist.shape[1] - (self._z_hist.shape[1] - 1) :]
        if self._a_hist.shape[1] == 0:
            self._a_hist = None  # num_hist == 1: the rollout takes no context actions

    @torch.no_grad()
    def act(self, pixels) -> np.ndarray:
        """pixels: (B, H, W, 3) uint8, the current frames -> actions (B, A) float32 for this step."""
        if self.z_goal is None:
            raise RuntimeError("MPCPolicy.act called before reset(goal_pixels)")
        fs = self.frameskip
        if self._step % fs == 0:  # block boundary: observe, maybe replan, pick the next block
            z = self._encode(pixels, batch=self.z_goal.shape[0])
            self._push_history(z)
            self.distances["actual"].append(
                (self._step, (z - self.z_goal).pow(2).sum(-1).float().cpu().numpy())
            )
            if self._plan is None or self._blocks_done >= self.replan_every:
                self._replan()
            block = self._to_blocks(self._plan[:, self._blocks_done])  # (B, fs*A)
            self._block = rearrange(block, "b (f a) -> b f a", f=fs)
            self._blocks_done += 1
        action = self._block[:, self._step % fs]
        self._step += 1
        return action.float().cpu().numpy()
