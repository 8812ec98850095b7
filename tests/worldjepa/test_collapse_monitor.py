"""The collapse check: a latent that stopped tracking what moves is named in the log and in
metrics.csv; a working one is not."""

import logging

import numpy as np
import pytest
import torch

from worldjepa.training.monitor import JUDGE_FROM, MOTION_FLOOR, CollapseCheck, collapse_reasons, validate


def test_a_collapse_needs_every_measured_sign_and_each_is_named():
    assert collapse_reasons({"val_motion": 0.4, "val_probe_r2": 0.6}) == []
    assert collapse_reasons({"val_motion": 0.4, "val_probe_r2": float("nan")}) == []  # no states
    (motion,) = collapse_reasons({"val_motion": MOTION_FLOOR / 10})  # no states: motion decides
    assert "consecutive latents" in motion
    (probe,) = collapse_reasons({"val_probe_r2": 0.001})
    assert "R² 0.001" in probe
    both = collapse_reasons({"val_motion": MOTION_FLOOR / 10, "val_probe_r2": 0.001})
    assert len(both) == 2 and "R² 0.001" in both[1]
    # PushT's default-factor model: little moves per frame, yet the states are readable
    assert collapse_reasons({"val_motion": 0.0085, "val_probe_r2": 0.21}) == []
    # a young latent that moves but is not linearly readable yet
    assert collapse_reasons({"val_motion": 0.16, "val_probe_r2": 0.0}) == []
    assert collapse_reasons({}) == []


def test_the_check_waits_for_the_encoder_then_warns_once(caplog):
    check, collapsed = CollapseCheck(steps=1000), {"val_motion": 1e-4, "val_probe_r2": 0.0}
    early = dict(collapsed)
    check(int(JUDGE_FROM * 1000) - 1, early)
    assert "collapse" not in early  # a young encoder is not judged
    rows = [dict(collapsed) for _ in range(3)]
    with caplog.at_level(logging.WARNING, logger="worldjepa.training.monitor"):
        for i, row in enumerate(rows):
            check(500 + i, row)
    assert [r["collapse"] for r in rows] == [1.0, 1.0, 1.0]
    assert len([r for r in caplog.records if "stopped tracking" in r.getMessage()]) == 1
    healthy = {"val_motion": 0.3, "val_probe_r2": 0.5}
    check(900, healthy)
    assert healthy["collapse"] == 0.0


class _Frozen(torch.nn.Module):
    """encode: a latent that keeps only an episode constant (or also the moving agent)."""

    def __init__(self, track_motion: bool):
        super().__init__()
        self.track_motion = track_motion

    def encode(self, pixels):
        const = pixels[:, :1, 0, 0, :4].float().expand(-1, pixels.shape[1], -1)  # per-episode colour
        moving = pixels[:, :, 1, 0, :4].float() * self.track_motion
        return torch.cat([const, moving], -1)

    def predict(self, z, actions):
        return z

    def rollout(self, z_ctx, actions, actions_ctx=None):
        """A model that predicts no change: (B, H0, D), (B, S, H, A) -> (B, S, H, D)."""
        B, S, H, _ = actions.shape
        return z_ctx[:, None, -1:].expand(B, S, H, -1)


def _windows(rng, n=32, t=4):
    from tensordict import TensorDict

    pixels = np.zeros((n, t, 3, 4, 4), np.uint8)
    pixels[:, :, 0, 0, :4] = rng.integers(0, 255, (n, 1, 4))  # constant within a window
    pixels[:, :, 1, 0, :4] = rng.integers(0, 255, (n, t, 4))  # moves every frame
    return TensorDict({"pixels": torch.as_tensor(pixels), "action": torch.zeros(n, t, 2)}, batch_size=[n])


@pytest.mark.parametrize("track_motion", [False, True])
def test_motion_tells_an_episode_constant_latent_from_one_that_tracks(track_motion):
    rng = np.random.default_rng(0)
    row = validate(_Frozen(track_motion), [_windows(rng) for _ in range(2)], "cpu")
    assert (row["val_motion"] < MOTION_FLOOR) == (not track_motion), row
    assert bool(collapse_reasons(row)) == (not track_motion)


@pytest.fixture(scope="module")
def tworoom_data(tmp_path_factory):
    """-> {factors: dataset}: 30 TwoRoom expert episodes at 32 px with default factors, and 30
    with every factor drawn from its train range."""
    from worldjepa.cli import main

    root = tmp_path_factory.mktemp("factors")
    for factors in ("default", "train"):
        argv = ["collect", "episodes=30", "image_size=32", f"factors={factors}", f"out={root / factors}"]
        assert main(argv) == 0
    return root


# The randomized recipe is not a case here: at this scale (120 steps on 24 episodes) its latent
# moves (val_motion 16%) but is not yet linearly readable (R² 0.000); at the benchmark's 800
# steps on 240 episodes it is (benchmarks/randomized_recipe.py: R² 0.50).
@pytest.mark.parametrize("factors,collapses", [("train", True), ("default", False)])
def test_the_plain_recipe_on_randomized_factors_is_flagged_and_a_working_one_is_not(
    tworoom_data, tmp_path, caplog, factors, collapses
):
    """The issue's collapse, at CI scale: with randomized factors the latent keeps what is
    constant within an episode (motion ~0.3%, probe R² 0); with default ones it tracks the
    agent (motion > 10%, R² > 0.2) from the first validation on. The randomized data is also
    warned about before the first step, naming ``recipes.RANDOMIZED``."""
    from worldjepa.cli import main
    from worldjepa.training.logger import read_metrics

    out = tmp_path / factors
    argv = ["train", f"data.path={tworoom_data / factors}", f"out={out}", "steps=120", "val_every=30",
            "data.batch_size=16", "loss.num_proj=256", "optim.lr=0.002", "device=cpu"]  # fmt: skip
    with caplog.at_level(logging.WARNING):
        assert main(argv) == 0
    warned = [r for r in caplog.records if "stopped tracking" in r.getMessage()]
    assert bool(warned) == collapses
    ahead = [r for r in caplog.records if "vary across episodes" in r.getMessage()]
    assert bool(ahead) == (factors == "train")  # said before the first step, naming the recipe
    assert all(
        "data.augment=[channel_shuffle,color_jitter] model.idm_hidden=256" in r.getMessage() for r in ahead
    )
    m = read_metrics(out / "metrics.csv")
    judged = [c for c in m["collapse"] if c == c]
    assert judged and all(c == float(collapses) for c in judged), m["collapse"]


def test_the_randomized_recipe_fills_only_the_keys_left_at_their_defaults():
    from worldjepa.training.config import TrainConfig
    from worldjepa.training.recipes import RANDOMIZED, apply_where_default, as_overrides

    cfg = TrainConfig()
    cfg.data.per_episode = 8  # the user's choice is kept
    applied = apply_where_default(cfg)
    assert list(applied) == ["loss.regulariser", "data.augment", "model.idm_hidden", "loss.idm_weight"]
    assert cfg.data.per_episode == 8 and cfg.loss.regulariser == RANDOMIZED["loss.regulariser"]
    assert cfg.data.augment == ["channel_shuffle", "color_jitter"] and cfg.model.idm_hidden == 256
    assert apply_where_default(cfg) == {}
    assert as_overrides() == (
        "data.per_episode=4 loss.regulariser=sigreg_episode data.augment=[channel_shuffle,color_jitter] "
        "model.idm_hidden=256 loss.idm_weight=1.0"
    )


def test_quickstart_on_randomized_factors_trains_with_the_randomized_recipe(tmp_path):
    import yaml
    from tiny_run import TINY_MODEL

    from worldjepa.cli import main

    argv = ["quickstart", f"out_dir={tmp_path}", "collect.factors=train", "collect.episodes=10",
            "collect.image_size=32", "collect.num_envs=1", "train.steps=2", "train.data.batch_size=8",
            "train.loss.num_proj=16", "train.val_every=0", "eval.episodes=1", "eval.budget=2",
            "eval.planner.num_iters=1", *(f"{'+' if o.startswith('+') else ''}train.{o.lstrip('+')}" for o in TINY_MODEL)]  # fmt: skip
    assert main(argv) == 0
    cfg = yaml.safe_load((tmp_path / "model" / "config.yaml").read_text())
    assert cfg["data"]["per_episode"] == 4 and cfg["loss"]["regulariser"] == "sigreg_episode"
    assert cfg["data"]["augment"] == ["channel_shuffle", "color_jitter"] and cfg["loss"]["idm_weight"] == 1.0
    assert main(argv) == 0  # run again: the same recipe, so the finished run is reused, not refused
