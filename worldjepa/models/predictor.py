"""Action-conditioned causal predictor: one token per frame, actions injected by AdaLN-zero.

Token t carries latent z_t and is modulated by the embedding of the action block executed
after frame t. Causal attention lets output t see z_{<=t}, cond_{<=t}, so output t is the
prediction of z_{t+1}: a single pass teacher-forces every step of a training window.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from worldjepa.errors import ConfigError
from worldjepa.models.layers import MLP, Rotary, SelfAttention

POSITIONS = ("learned", "rope")


@dataclass
class KVCache:
    """Per-block cached (keys, values), each (N, h, P, c), and the next token's position."""

    layers: list[tuple[Tensor, Tensor] | None]
    position: int = 0

    def select(self, index: Tensor) -> KVCache:
        """Rows ``index`` (M,) of every cached tensor -> a cache of M sequences (repeats allowed:
        one context prefix cached once serves every candidate plan that starts from it)."""
        rows = [None if kv is None else (kv[0].index_select(0, index), kv[1].index_select(0, index))
                for kv in self.layers]  # fmt: skip
        return KVCache(rows, self.position)


def _float32(layer: nn.Module, x: Tensor) -> Tensor:
    """``layer(x)`` in float32, also under autocast.

    Under bf16 autocast the predictor's input and output layers, its AdaLN modulations and
    (by promotion) its residual stream stay float32; only the blocks' attention and MLP run
    in bf16. A planner ranks candidate plans whose imagined latents differ by much less than
    the latents themselves: rounding those to bf16 (8 bits) scrambled CEM's elites once its
    sampling std reaches its floor (on a Reacher model, 75% of the float32 elites kept, 89%
    with these in float32; ``benchmarks/planning_numerics.py``, which turns this off with
    ``Predictor.float32_io = False`` to compare)."""
    if not Predictor.float32_io:
        return layer(x)
    with torch.autocast(x.device.type, enabled=False):
        return layer(x.float())


def _modulate(x: Tensor, shift: Tensor, scale: Tensor) -> Tensor:
    """x, shift, scale: (B, T, C) -> (B, T, C). ``1 + scale`` so zero modulation is the identity."""
    return x * (1 + scale) + shift


class AdaLNBlock(nn.Module):
    """Causal pre-norm transformer block whose norms are modulated by the action token.

    The (shift, scale, gate) triples for attention and MLP are computed outside, by the
    predictor's zero-initialised modulation layer; with zero gates the block is the identity.
    """

    NUM_MOD = 6  # shift, scale, gate for attention and for the MLP

    def __init__(self, dim: int, heads: int, mlp_ratio: float = 4.0, dropout: float = 0.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.attn = SelfAttention(dim, heads, dropout)
        self.norm2 = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.mlp = MLP(dim, int(dim * mlp_ratio), dropout)

    def forward(self, x: Tensor, mod: Tensor, last_only: bool = False, angles=None, window=None) -> Tensor:
        """x: (B, T, C), mod: (B, T, 6*C) -> (B, T, C), or (B, 1, C) for the last token only.
        ``angles``/``window``: rotary angles and attention window (see ``SelfAttention``)."""
        shift1, scale1, gate1, shift2, scale2, gate2 = mod.chunk(self.NUM_MOD, dim=-1)
        h = _modulate(self.norm1(x), shift1, scale1)
        if last_only:  # the rollout only needs the newest token: skip the others' MLP work
            x, gate1, shift2, scale2, gate2 = (t[:, -1:] for t in (x, gate1, shift2, scale2, gate2))
        x = x + gate1 * self.attn(h, causal=True, last_query_only=last_only, angles=angles, window=window)
        return x + gate2 * self.mlp(_modulate(self.norm2(x), shift2, scale2))

    def step(self, x: Tensor, mod: Tensor, past, angles, keep: int | None):
        """x: (N, 1, C), mod: (N, 1, 6*C), past: cached (k, v) or None -> (N, 1, C), new (k, v)."""
        shift1, scale1, gate1, shift2, scale2, gate2 = mod.chunk(self.NUM_MOD, dim=-1)
        a, kv = self.attn.step(_modulate(self.norm1(x), shift1, scale1), past, angles, keep)
        x = x + gate1 * a
        return x + gate2 * self.mlp(_modulate(self.norm2(x), shift2, scale2)), kv


class Predictor(nn.Module):
    """Causal AdaLN-zero transformer. forward(z (B, T, D), cond (B, T, cond_dim)) -> (B, T, D).

    Output t predicts z_{t+1} from z_{<=t} and cond_{<=t}. All AdaLN modulations (every block's
    six, plus the final norm's shift/scale) come from ONE zero-initialised linear layer on the
    action token: at init every block is the identity and actions have no effect, so training
    starts from a stable per-frame map and learns how much each action matters. One fused
    layer is also one GEMM instead of depth+1 small ones.
    """

    float32_io = True  # see _float32; False only to measure what it buys

    def __init__(
        self,
        latent_dim: int,
        dim: int = 192,
        depth: int = 6,
        heads: int = 4,
        mlp_ratio: float = 4.0,
        max_len: int = 16,
        dropout: float = 0.0,
        cond_dim: int | None = None,
        pos: str = "learned",
        window: int | None = None,
    ):
        super().__init__()
        if pos not in POSITIONS:
            raise ConfigError(f"unknown predictor position encoding {pos!r}; known: {', '.join(POSITIONS)}")
        if window is not None and window < 1:
            raise ConfigError(f"predictor attention window must be >= 1, got {window}")
        self.dim, self.depth, self.max_len, self.window = dim, depth, max_len, window
        self.input = nn.Linear(latent_dim, dim)
        self.pos, self.rotary = None, None
        if pos == "learned":
            self.pos = nn.Parameter(torch.zeros(1, max_len, dim))
            nn.init.trunc_normal_(self.pos, std=0.02)
        else:
            self.rotary = Rotary(dim // heads)
        self.blocks = nn.ModuleList(AdaLNBlock(dim, heads, mlp_ratio, dropout) for _ in range(depth))
        self.final_norm = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.output = nn.Linear(dim, latent_dim)
        self.modulation = nn.Sequential(
            nn.SiLU(), nn.Linear(cond_dim or dim, (AdaLNBlock.NUM_MOD * depth + 2) * dim)
        )
        nn.init.zeros_(self.modulation[-1].weight)
        nn.init.zeros_(self.modulation[-1].bias)

    def modulations(self, cond: Tensor) -> Tensor:
        """cond: (B, T, cond_dim) -> (B, T, (6*depth + 2) * dim), reusable across calls
        (a rollout computes it once per action instead of once per step)."""
        return _float32(self.modulation, cond)

    def forward_modulated(self, z: Tensor, mods: Tensor, last_only: bool = False) -> Tensor:
        """z: (B, T, D), mods: (B, T, (6*depth+2)*dim) from ``modulations`` -> (B, T, D).

        ``last_only`` returns just the prediction from the last token, (B, 1, D): the final
        block and the output layer then skip the other tokens (~20% less work per rollout step).
        """
        T = z.shape[1]
        x, angles = _float32(self.input, z), None
        if self.pos is not None:
            if T > self.max_len:
                raise ValueError(f"predictor got {T} tokens but max_len is {self.max_len}")
            x = x + self.pos[:, :T]
        else:
            angles = self.rotary.angles(torch.arange(T, device=z.device))
        block_mods = mods.split(AdaLNBlock.NUM_MOD * self.dim, dim=-1)  # depth chunks + final
        for i, (block, mod) in enumerate(zip(self.blocks, block_mods, strict=False)):
            x = block(x, mod, last_only=last_only and i == self.depth - 1, angles=angles, window=self.window)
        if last_only:
            x = x[:, -1:]  # a no-op unless depth == 0
        return self._head(x, block_mods[-1][:, -x.shape[1] :])  # final mods match x's tokens

    def _head(self, x: Tensor, final_mod: Tensor) -> Tensor:
        """x: (N, T, dim), final_mod: (N, T, 2*dim) -> (N, T, D)."""
        shift, scale = final_mod.chunk(2, dim=-1)
        return _float32(self.output, _modulate(self.final_norm(x), shift, scale))

    # ---------------------------------------------------------------------- cached rollout
    @property
    def cacheable(self) -> bool:
        """True when tokens' keys/values do not depend on later tokens' positions (rope)."""
        return self.rotary is not None

    def empty_cache(self) -> KVCache:
        return KVCache([None] * self.depth)

    def step(self, z: Tensor, mod: Tensor, cache: KVCache) -> tuple[Tensor, KVCache]:
        """One token through every block with cached keys/values (rope predictors only).

        z: (N, D) the newest latent, mod: (N, M) its modulations (from ``modulations``),
        cache: the previous tokens' -> (ẑ (N, D) predicting the next latent, updated cache).
        Stepping tokens 0..T-1 gives exactly ``forward_modulated``'s outputs for them.
        """
        if not self.cacheable:
            raise ValueError("only rope predictors cache keys/values; learned positions recompute windows")
        keep = None if self.window is None else self.window - 1
        angles = self.rotary.angles(torch.tensor([cache.position], device=z.device))
        x = _float32(self.input, z[:, None])
        block_mods = mod[:, None].split(AdaLNBlock.NUM_MOD * self.dim, dim=-1)
        layers = []
        for block, m, past in zip(self.blocks, block_mods, cache.layers, strict=False):
            x, kv = block.step(x, m, past, angles, keep)
            layers.append(kv)
        return self._head(x, block_mods[-1])[:, 0], KVCache(layers, cache.position + 1)

    def forward(self, z: Tensor, cond: Tensor) -> Tensor:
        """z: (B, T, D), cond: (B, T, cond_dim) -> (B, T, D); output t predicts z_{t+1}."""
        return self.forward_modulated(z, self.modulations(cond))
