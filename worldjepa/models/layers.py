"""Transformer building blocks shared by the ViT encoder and the predictor."""

from __future__ import annotations

import torch.nn.functional as F
from einops import rearrange
from torch import Tensor, nn


class SelfAttention(nn.Module):
    """Multi-head self-attention on top of ``F.scaled_dot_product_attention`` (fused kernels)."""

    def __init__(self, dim: int, heads: int, dropout: float = 0.0):
        super().__init__()
        if dim % heads:
            raise ValueError(f"attention dim {dim} is not divisible by heads {heads}")
        self.heads = heads
        self.dropout = dropout
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: Tensor, causal: bool = False, last_query_only: bool = False) -> Tensor:
        """x: (B, T, C) -> (B, T, C); with ``causal`` token t only attends to tokens <= t.

        ``last_query_only`` returns only the last token's output, (B, 1, C): it attends to
        every token, so this equals ``forward(x, causal=True)[:, -1:]`` at a fraction of the cost.
        """
        q, k, v = rearrange(self.qkv(x), "b t (three h c) -> three b h t c", three=3, h=self.heads)
        if last_query_only:
            q, causal = q[:, :, -1:], False  # a single query that may see all keys
        drop = self.dropout if self.training else 0.0
        out = F.scaled_dot_product_attention(q, k, v, dropout_p=drop, is_causal=causal)
        return self.proj(rearrange(out, "b h t c -> b t (h c)"))


class MLP(nn.Sequential):
    """Linear -> GELU -> Linear (-> dropout), the transformer feed-forward. (..., C) -> (..., C)."""

    def __init__(self, dim: int, hidden: int, dropout: float = 0.0):
        super().__init__(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim), nn.Dropout(dropout))
