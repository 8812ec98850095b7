"""VCReg: VICReg's variance and covariance terms without its invariance term, as PLDM trains
its latents (the prediction loss plays the invariance part).

    var   = mean_{t,d} relu(1 - std_b(z[:, t, d]))      each dimension spread over the batch
    var_t = mean_{b,d} relu(1 - std_t(zc[b, :, d]))     ... and over a window's frames
    cov   = mean_t mean_{i != j} Cov_b(z[:, t])_ij²     every pair of dimensions decorrelated

with zc = z centred over the batch. The covariance term is averaged over the D(D-1) pairs, as
stable-worldmodel's PLDM computes it, whose weights (18, 0.7, 12) ``LossConfig`` takes
(VICReg's own sums the pairs over D: D - 1 times stronger, 127x at D = 128).

``var_t`` is what keeps a latent moving within an episode: the batch terms alone are satisfied
by content that only varies across episodes. Statistics are over this rank's batch (under DDP
each rank regularises its own shard).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def std_hinge(x: Tensor, dim: int, eps: float = 1e-4) -> Tensor:
    """x: (..., D) -> scalar mean of relu(1 - std) along ``dim``."""
    return F.relu(1 - (x.var(dim=dim) + eps).sqrt()).mean()


def off_diagonal_cov(z: Tensor) -> Tensor:
    """z: (B, T, D) -> scalar: the mean squared off-diagonal covariance across B, per frame,
    averaged over frames."""
    B, _, D = z.shape
    zc = z - z.mean(0, keepdim=True)
    cov = torch.einsum("bti,btj->tij", zc, zc) / max(B - 1, 1)  # (T, D, D)
    off = cov.pow(2).sum((-1, -2)) - torch.diagonal(cov, dim1=-2, dim2=-1).pow(2).sum(-1)
    return (off / max(D * (D - 1), 1)).mean()


class VCReg(nn.Module):
    """(z (B, T, D), generator) -> {"var", "var_t", "cov"}: the unweighted terms (the loss
    config weighs them: ``var_weight``, ``var_t_weight``, ``cov_weight``)."""

    def forward(self, z: Tensor, generator: torch.Generator | None = None) -> dict[str, Tensor]:
        z = z.float()
        terms = {"var": std_hinge(z, dim=0), "cov": off_diagonal_cov(z)}
        if z.shape[1] > 1:
            terms["var_t"] = std_hinge(z - z.mean(0, keepdim=True), dim=1)
        return terms
