"""Pixel augmentations of training windows, one draw per episode in the batch.

A world model must see the frames of a window under one appearance: an agent recoloured
between t and t+1 would be a change to predict. And the windows of one episode in a batch
(``data.per_episode``) must share it too: drawn per window, an appearance that is constant
within a window but differs between an episode's windows is exactly the content the
episode-centred SIGReg lets through, and the latent collapses onto it (measured on TwoRoom:
probe R² 0.000, ``benchmarks/randomized_recipe.py``). So each augmentation draws one transform
per episode of the batch (from ``generator``, seeded from the step: a resumed run draws the
same) and applies it to all that episode's frames. Validation and planning see the frames as
recorded.

``data.augment=[channel_shuffle,color_jitter]`` applies them in order; ``zoom`` rescales the
scene for envs whose camera distance varies.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

from worldjepa.registry import Registry

Augmentation = Callable[[Tensor, Tensor, torch.Generator], Tensor]
AUGMENTATIONS: Registry[Augmentation] = Registry("augmentation")

# color_jitter's ranges: per-channel gain, overall brightness (log-uniform), per-channel offset.
GAIN = (0.6, 1.5)
BRIGHTNESS = (0.3, 1.3)
OFFSET = 0.15
# zoom's range of the content's scale (log-uniform): < 1 shows the scene from further away, as an
# OOD camera_distance does (Reacher 0.65 -> 1.0, PushT 1.35 -> 1.9: a scale of 0.65 and 0.71).
ZOOM = (0.6, 1.1)


def _uniform(shape, low: float, high: float, generator: torch.Generator, device) -> Tensor:
    return low + (high - low) * torch.rand(shape, generator=generator, device=device)


def _log_uniform(shape, low: float, high: float, generator: torch.Generator, device) -> Tensor:
    return torch.exp(_uniform(shape, math.log(low), math.log(high), generator, device))


@AUGMENTATIONS.register("channel_shuffle")
def channel_shuffle(pixels: Tensor, group: Tensor, generator: torch.Generator) -> Tensor:
    """pixels (B, T, 3, H, W) uint8, group (B,) in [0, G) -> the same with each group's RGB
    channels permuted: a red agent becomes green or blue, a grey floor stays grey."""
    b, t, c, h, w = pixels.shape
    g = int(group.max()) + 1
    order = torch.argsort(torch.rand(g, c, generator=generator, device=pixels.device), dim=1)[group]  # (B, 3)
    return torch.gather(pixels, 2, order[:, None, :, None, None].expand(b, t, c, h, w))


@AUGMENTATIONS.register("color_jitter")
def color_jitter(pixels: Tensor, group: Tensor, generator: torch.Generator) -> Tensor:
    """pixels (B, T, 3, H, W) uint8, group (B,) in [0, G) -> x' = brightness * gain_c * x +
    offset_c per group: tints (a greenish floor), dim or bright light, washed-out colours."""
    c, dev, g = pixels.shape[2], pixels.device, int(group.max()) + 1
    gain = _uniform((g, c), *GAIN, generator, dev)[group]
    bright = _log_uniform((g, 1), *BRIGHTNESS, generator, dev)[group]
    offset = _uniform((g, c), -OFFSET, OFFSET, generator, dev)[group] * 255.0
    x = pixels.float() * (gain * bright)[:, None, :, None, None] + offset[:, None, :, None, None]
    return x.round_().clamp_(0, 255).to(torch.uint8)


@AUGMENTATIONS.register("zoom")
def zoom(pixels: Tensor, group: Tensor, generator: torch.Generator) -> Tensor:
    """pixels (B, T, 3, H, W) uint8, group (B,) in [0, G) -> each group's frames scaled about the
    centre by one factor from ``ZOOM``: the camera nearer or further. Zoomed out, the border
    pixels (the floor or table at the edge) fill the margin."""
    import torch.nn.functional as F

    b, t, c, h, w = pixels.shape
    g, dev = int(group.max()) + 1, pixels.device
    scale = _log_uniform((g,), *ZOOM, generator, dev)[group]  # (B,)
    theta = torch.zeros(b, 2, 3, device=dev)
    theta[:, 0, 0] = theta[:, 1, 1] = 1.0 / scale  # output p samples the input at p / scale
    theta = theta.repeat_interleave(t, dim=0)  # (B*T, 2, 3): every frame of a window alike
    grid = F.affine_grid(theta, [b * t, c, h, w], align_corners=False)
    x = F.grid_sample(
        pixels.reshape(b * t, c, h, w).float(), grid, padding_mode="border", align_corners=False
    )
    return x.round_().clamp_(0, 255).to(torch.uint8).reshape(b, t, c, h, w)


def augmenter(names: list[str]) -> Callable[[Tensor, Tensor, torch.Generator], Tensor] | None:
    """The named augmentations composed, ``(pixels (B, T, 3, H, W) uint8, episode (B,) ids,
    generator) -> pixels``: one draw per distinct episode id. None for no names; an unknown
    name fails by name."""
    fns = [AUGMENTATIONS.get(n) for n in names]
    if not fns:
        return None

    def apply(pixels: Tensor, episode: Tensor, generator: torch.Generator) -> Tensor:
        group = torch.unique(episode, return_inverse=True)[1].to(pixels.device)
        for fn in fns:
            pixels = fn(pixels, group, generator)
        return pixels

    return apply
