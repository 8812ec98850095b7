"""Action-conditioned causal predictor: one token per frame, actions injected by AdaLN-zero.

Token t carries latent z_t and is modulated by the embedding of the action block executed
after frame t. Causal attention lets output t see z_{<=t}, cond_{<=t}, so output t is the
prediction of z_{t+1}: a single pass teacher-forces every step of a training window.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from worldjepa.models.layers import MLP, SelfAttention


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

    def forward(self, x: Tensor, mod: Tensor, last_only: bool = False) -> Tensor:
        """x: (B, T, C), mod: (B, T, 6*C) -> (B, T, C), or (B, 1, C) for the last token only."""
        shift1, scale1, gate1, shift2, scale2, gate2 = mod.chunk(self.NUM_MOD, dim=-1)
        h = _modulate(self.norm1(x), shift1, scale1)
        if last_only:  # the rollout only needs the newest token: skip the others' MLP work
            x, gate1, shift2, scale2, gate2 = (t[:, -1:] for t in (x, gate1, shift2, scale2, gate2))
        x = x + gate1 * self.attn(h, causal=True, last_query_only=last_only)
        return x + gate2 * self.mlp(_modulate(self.norm2(x), shift2, scale2))


class Predictor(nn.Module):
    """Causal AdaLN-zero transformer. forward(z (B, T, D), cond (B, T, cond_dim)) -> (B, T, D).

    Output t predicts z_{t+1} from z_{<=t} and cond_{<=t}. All AdaLN modulations (every block's
    six, plus the final norm's shift/scale) come from ONE zero-initialised linear layer on the
    action token: at init every block is the identity and actions have no effect, so training
    starts from a stable per-frame map and learns how much each action matters. One fused
    layer is also one GEMM instead of depth+1 small ones.
    """

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
    ):
        super().__init__()
        self.dim, self.depth, self.max_len = dim, depth, max_len
        self.input = nn.Linear(latent_dim, dim)
        self.pos = nn.Parameter(torch.zeros(1, max_len, dim))
        nn.init.trunc_normal_(self.pos, std=0.02)
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
        return self.modulation(cond)

    def forward_modulated(self, z: Tensor, mods: Tensor, last_only: bool = False) -> Tensor:
        """z: (B, T, D), mods: (B, T, (6*depth+2)*dim) from ``modulations`` -> (B, T, D).

        ``last_only`` returns just the prediction from the last token, (B, 1, D): the final
        block and the output layer then skip the other tokens (~20% less work per rollout step).
        """
        T = z.shape[1]
        if T > self.max_len:
            raise ValueError(f"predictor got {T} tokens but max_len is {self.max_len}")
        x = self.input(z) + self.pos[:, :T]
        block_mods = mods.split(AdaLNBlock.NUM_MOD * self.dim, dim=-1)  # depth chunks + final
        for i, (block, mod) in enumerate(zip(self.blocks, block_mods, strict=False)):
            x = block(x, mod, last_only=last_only and i == self.depth - 1)
        if last_only:
            x = x[:, -1:]  # a no-op unless depth == 0
        final_mod = block_mods[-1][:, -x.shape[1] :]  # matches x: all tokens or the last one
        shift, scale = final_mod.chunk(2, dim=-1)
        return self.output(_modulate(self.final_norm(x), shift, scale))

    def forward(self, z: Tensor, cond: Tensor) -> Tensor:
        """z: (B, T, D), cond: (B, T, cond_dim) -> (B, T, D); output t predicts z_{t+1}."""
        return self.forward_modulated(z, self.modulations(cond))
