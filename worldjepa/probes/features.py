"""Frozen features a probe reads: the trained model's latents and the baselines beside them.

Each entry of ``FEATURES`` is a factory ``(model, seed, cfg) -> fn(frames) -> (N, F) float32``
with frames (N, H, W, 3) uint8. ``model``: the trained encoder + projector's latent z (what
the predictor and planners use); ``encoder``: the encoder's features before the projector
(what LeWM probes); ``random`` / ``random_encoder``: the same two from the same architecture,
randomly initialised (what the architecture alone gives);
``pixels``: the frame area-averaged to ``pixel_size`` x ``pixel_size`` x 3, flattened.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from worldjepa.registry import Registry

FeatureFn = Callable[[np.ndarray], np.ndarray]
FEATURES: Registry[Callable[..., FeatureFn]] = Registry("probe features")


def _encoder_features(model, device, project: bool) -> FeatureFn:
    import torch
    from einops import rearrange

    @torch.inference_mode()
    def fn(frames: np.ndarray) -> np.ndarray:
        x = rearrange(torch.as_tensor(np.asarray(frames)).to(device), "n h w c -> n 1 c h w")
        return model.encode_features(x, project=project)[:, 0].float().cpu().numpy()

    return fn


def _random_init(model, seed: int, device):
    """The same architecture as ``model``, freshly initialised from ``seed``."""
    import torch

    from worldjepa.models import build_world_model

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build_world_model(model.cfg).to(device).eval()


@FEATURES.register("model")
def model_features(model, seed: int, device, pixel_size: int) -> FeatureFn:
    return _encoder_features(model, device, project=True)


@FEATURES.register("encoder")
def encoder_features(model, seed: int, device, pixel_size: int) -> FeatureFn:
    return _encoder_features(model, device, project=False)


@FEATURES.register("random")
def random_features(model, seed: int, device, pixel_size: int) -> FeatureFn:
    return _encoder_features(_random_init(model, seed, device), device, project=True)


@FEATURES.register("random_encoder")
def random_encoder_features(model, seed: int, device, pixel_size: int) -> FeatureFn:
    return _encoder_features(_random_init(model, seed, device), device, project=False)


@FEATURES.register("pixels")
def pixel_features(model, seed: int, device, pixel_size: int) -> FeatureFn:
    def fn(frames: np.ndarray) -> np.ndarray:
        n, h, w, c = frames.shape
        if h % pixel_size or w % pixel_size:
            raise ValueError(f"pixel_size {pixel_size} must divide the frame size {h}x{w}")
        x = frames.reshape(n, pixel_size, h // pixel_size, pixel_size, w // pixel_size, c)
        return (x.mean((2, 4), dtype=np.float32) / 255.0).reshape(n, -1)

    return fn
