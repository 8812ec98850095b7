"""An EMA target encoder (the BYOL / I-JEPA / V-JEPA family): the prediction targets come from
a slowly moving copy of the online encoder, under stop-gradient, instead of from the online
encoder itself with an anti-collapse term.

    target <- m * target + (1 - m) * online        after every optimiser step

Only the encoder and projector are followed; the copy's predictor is never used. Planning and
validation use the online model (the checkpoint's weights); the target lives in the training
state, so ``--resume`` continues it exactly.
"""

from __future__ import annotations

import copy

import torch
from torch import Tensor, nn

FOLLOWED = ("encoder", "projector")


class EMATarget(nn.Module):
    """target(pixels (B, T, 3, H, W)) -> z (B, T, D) without gradients; ``update(model)`` moves it."""

    def __init__(self, model: nn.Module, momentum: float):
        super().__init__()
        self.momentum = momentum
        # encode() needs only what is followed: the rest (predictor, action encoder, IDM head)
        # is left out of the copy, its memory and the checkpoint
        skip = {name: m for name, m in model.named_children() if name not in FOLLOWED}
        memo = {id(m): nn.Identity() for m in skip.values()}
        self.model = copy.deepcopy(model, memo)
        self.model.requires_grad_(False)

    def forward(self, pixels: Tensor) -> Tensor:
        with torch.no_grad():
            return self.model.encode(pixels)

    @torch.no_grad()
    def update(self, online: nn.Module) -> None:
        for name in FOLLOWED:
            mine, theirs = getattr(self.model, name), getattr(online, name)
            torch._foreach_lerp_(list(mine.parameters()), [q.detach() for q in theirs.parameters()],
                                 1 - self.momentum)  # fmt: skip
            for b, c in zip(mine.buffers(), theirs.buffers(), strict=True):  # norm statistics
                b.copy_(c)
