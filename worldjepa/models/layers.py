"""Transformer building blocks shared by the ViT encoder and the predictor."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import Tensor, nn


class Rotary(nn.Module):
    """Rotary position embedding (RoPE) on (B, h, T, c) queries/keys, c even.

    Attention scores then depend only on the distance between tokens, so a token's keys and
    values do not change when the window slides: that is what lets a rollout cache them.
    """

    def __init__(self, head_dim: int, base: float = 10000.0):
        super().__init__()
        if head_dim % 2:
            raise ValueError(f"rotary embeddings need an even head dim, got {head_dim}")
        inv_freq = base ** (-torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)
        self.register_buffer("inv_freq", inv_freq, persistent=False)  # (c/2,)

    def angles(self, positions: Tensor) -> tuple[Tensor, Tensor]:
        """positions: (T,) integer -> (cos, sin), each (T, c/2) float32."""
        theta = positions.float()[:, None] * self.inv_freq[None]
        return theta.cos(), theta.sin()

    @staticmethod
    def rotate(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
        """x: (B, h, T, c), cos/sin: (T, c/2) -> x with each (x_i, x_{i+c/2}) pair rotated."""
        x1, x2 = x.float().chunk(2, dim=-1)
        out = torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)
        return out.to(x.dtype)


def window_mask(T: int, window: int, device: torch.device) -> Tensor:
    """(T, T) bool, True where query i may attend key j: j <= i and i - j < window."""
    i = torch.arange(T, device=device)[:, None]
    j = torch.arange(T, device=device)[None]
    return (j <= i) & (i - j < window)


def attend(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None, causal: bool = False,
           dropout: float = 0.0) -> Tensor:  # fmt: skip
    """q: (B, h, Tq, c), k, v: (B, h, Tk, c) -> (B, h, Tq, c): softmax(q kᵀ / √c) v, where
    ``mask`` (Tq, Tk) bool marks what each query may see and ``causal`` is SDPA's (top-left).

    On the CPU in bf16 (autocast's training and planning default), PyTorch's fused attention
    kernels run 1.4-6x slower (forward + backward) than the plain matmuls they replace, whose
    bf16 AMX kernels are ~13x faster than float32 (benchmarks/attention_cpu.py): there, the
    plain matmuls, with the softmax in float32. Elsewhere, ``F.scaled_dot_product_attention``."""
    if q.device.type != "cpu" or q.dtype != torch.bfloat16 or dropout > 0:
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout, is_causal=causal)
    scores = (q @ k.transpose(-2, -1)) * q.shape[-1] ** -0.5
    if causal:
        mask = torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool, device=q.device).tril()
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return scores.float().softmax(-1).to(v.dtype) @ v


class SelfAttention(nn.Module):
    """Multi-head self-attention (``attend``: fused SDPA kernels, or plain matmuls where faster)."""

    def __init__(self, dim: int, heads: int, dropout: float = 0.0):
        super().__init__()
        if dim % heads:
            raise ValueError(f"attention dim {dim} is not divisible by heads {heads}")
        self.heads = heads
        self.dropout = dropout
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def _heads(self, x: Tensor, angles: tuple[Tensor, Tensor] | None) -> tuple[Tensor, Tensor, Tensor]:
        """x: (B, T, C) -> q, k, v: (B, h, T, c), q and k rotated when ``angles`` is given."""
        q, k, v = rearrange(self.qkv(x), "b t (three h c) -> three b h t c", three=3, h=self.heads)
        if angles is not None:
            q, k = Rotary.rotate(q, *angles), Rotary.rotate(k, *angles)
        return q, k, v

    def _out(self, out: Tensor) -> Tensor:
        return self.proj(rearrange(out, "b h t c -> b t (h c)"))

    def forward(
        self,
        x: Tensor,
        causal: bool = False,
        last_query_only: bool = False,
        angles: tuple[Tensor, Tensor] | None = None,
        window: int | None = None,
    ) -> Tensor:
        """x: (B, T, C) -> (B, T, C); with ``causal`` token t only attends to tokens <= t, and
        with ``window`` also only to the ``window`` newest of those (itself included).

        ``last_query_only`` returns only the last token's output, (B, 1, C): it attends to
        every token it may see, so this equals ``forward(x, ...)[:, -1:]`` at a fraction of the cost.
        ``angles``: rotary (cos, sin) for x's positions, from ``Rotary.angles``.
        """
        q, k, v = self._heads(x, angles)
        T = x.shape[1]
        mask = None
        if causal and window is not None and T > window:
            mask = window_mask(T, window, x.device)
            causal = False
        if last_query_only:
            q, causal = q[:, :, -1:], False  # a single query that may see all (allowed) keys
            mask = None if mask is None else mask[-1:]
        drop = self.dropout if self.training else 0.0
        return self._out(attend(q, k, v, mask, causal, drop))

    def step(
        self, x: Tensor, past: tuple[Tensor, Tensor] | None, angles: tuple[Tensor, Tensor], keep: int | None
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """One new token against cached keys/values (the KV cache of an autoregressive rollout).

        x: (N, 1, C); past: (k, v) each (N, h, P, c) of the P previous tokens, or None;
        angles: rotary (cos, sin) of the new token's position, (1, c/2) -> out (N, 1, C) and the
        cache for the next step: the ``keep`` newest keys/values (all when ``keep`` is None).
        """
        q, k, v = self._heads(x, angles)
        if past is not None:
            k, v = torch.cat([past[0], k], dim=2), torch.cat([past[1], v], dim=2)
        out = attend(q, k, v)
        if keep is not None:
            k, v = k[:, :, k.shape[2] - keep :], v[:, :, v.shape[2] - keep :]
        return self._out(out), (k, v)


class MLP(nn.Sequential):
    """Linear -> GELU -> Linear (-> dropout), the transformer feed-forward. (..., C) -> (..., C)."""

    def __init__(self, dim: int, hidden: int, dropout: float = 0.0):
        super().__init__(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim), nn.Dropout(dropout))
