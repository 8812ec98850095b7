"""Embeds one action block (frameskip env steps, flattened step-major) into a predictor token."""

from __future__ import annotations

from torch import Tensor, nn


class ActionEncoder(nn.Sequential):
    """MLP on a *normalised* action block. (B, T, fs*A) -> (B, T, dim).

    The block layout is step-major: [a_0 (A), a_1 (A), ..., a_{fs-1} (A)].
    """

    def __init__(self, in_dim: int, dim: int, hidden_dim: int | None = None):
        hidden_dim = hidden_dim or dim
        super().__init__(nn.Linear(in_dim, hidden_dim), nn.SiLU(), nn.Linear(hidden_dim, dim))

    def forward(self, actions: Tensor) -> Tensor:
        """actions: (B, T, fs*A) float (normalised) -> (B, T, dim)."""
        return super().forward(actions)
