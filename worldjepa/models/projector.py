"""The LeWM projector: a BatchNorm MLP from encoder features to the latent z that SIGReg sees."""

from __future__ import annotations

from torch import Tensor, nn


class Projector(nn.Sequential):
    """Linear -> BatchNorm1d -> GELU -> Linear. (N, in_dim) -> (N, out_dim).

    BatchNorm keeps the hidden layer well-scaled from step 0, which helps SIGReg push the
    output towards unit-variance isotropy early in training.
    """

    def __init__(self, in_dim: int, hidden_dim: int = 512, out_dim: int = 192):
        super().__init__(
            nn.Linear(in_dim, hidden_dim),
            nn.BatchNorm1d(hidden_dim),
            nn.GELU(),
            nn.Linear(hidden_dim, out_dim),
        )

    def forward(self, x: Tensor) -> Tensor:
        """x: (N, in_dim) -> (N, out_dim)."""
        return super().forward(x)
