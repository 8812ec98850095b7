"""Representation diagnostics (collapse detection)."""

from __future__ import annotations

import torch
from torch import Tensor


def effective_rank(z: Tensor, eps: float = 1e-12) -> float:
    """RankMe effective rank. z: (N, D) float -> float in [1, min(N, D)].

    exp(entropy) of the singular values of the centred embeddings, normalised to sum to one.
    ≈D for isotropic data, ≈1 for rank-1 data; a fully collapsed batch (all rows equal) gives 1.
    """
    z = z.detach().double()
    z = z - z.mean(0, keepdim=True)  # centring: a shared offset is not a direction of variation
    s = torch.linalg.svdvals(z)
    p = s / (s.sum() + eps)
    entropy = -(p * torch.log(p + eps)).sum()
    return float(torch.exp(entropy))
