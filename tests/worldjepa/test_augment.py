"""Augmentations: one draw per episode in the batch, the same for all its windows and frames."""

import csv

import pytest
import torch
from tiny_run import TINY_MODEL

from worldjepa.cli import main
from worldjepa.training.augment import AUGMENTATIONS, augmenter


def windows(b=16, t=4, size=8, seed=0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (b, t, 3, size, size), generator=g, dtype=torch.uint8)


EPISODES = torch.arange(16) // 4  # 4 episodes of 4 windows, as data.per_episode=4 batches them


@pytest.mark.parametrize("name", AUGMENTATIONS.names())
def test_one_draw_per_episode_for_all_its_windows_and_frames(name):
    augment = augmenter([name])
    x = windows()
    x[:, 1] = x[:, 0]  # two equal frames in every window stay equal
    y = augment(x, EPISODES, torch.Generator().manual_seed(1))
    assert y.shape == x.shape and y.dtype == torch.uint8
    assert torch.equal(y[:, 0], y[:, 1])
    assert torch.equal(y, augment(x, EPISODES, torch.Generator().manual_seed(1)))  # a function of the seed
    assert not torch.equal(y, x)
    same = x[:1].expand(16, -1, -1, -1, -1).contiguous()
    out = augment(same, EPISODES, torch.Generator().manual_seed(2))
    for i in range(16):  # the windows of one episode share the draw; other episodes get their own
        assert torch.equal(out[i], out[4 * (i // 4)])
    assert any(not torch.equal(out[0], out[i]) for i in (4, 8, 12))


def test_channel_shuffle_permutes_the_channels_of_each_window_alike():
    x = windows()
    y = augmenter(["channel_shuffle"])(x, torch.arange(16), torch.Generator().manual_seed(3))
    for i in range(len(x)):
        perm = [next(c for c in range(3) if torch.equal(y[i, :, k], x[i, :, c])) for k in range(3)]
        assert sorted(perm) == [0, 1, 2]  # every output channel is one input channel, over all frames


def test_color_jitter_moves_the_colour_statistics():
    x = torch.full((64, 2, 3, 4, 4), 128, dtype=torch.uint8)
    y = augmenter(["color_jitter"])(x, torch.arange(64), torch.Generator().manual_seed(4)).float()
    per_window = y.mean((1, 3, 4))  # (B, 3)
    assert per_window.std(0).min() > 10  # tints and brightness vary across windows
    assert y.min() >= 0 and y.max() <= 255
    assert augmenter([]) is None


def test_zoom_scales_the_scene_about_the_centre():
    x = torch.zeros((64, 2, 3, 64, 64), dtype=torch.uint8)
    x[..., 16:48, 16:48] = 255  # a centred square on a black floor
    y = augmenter(["zoom"])(x, torch.arange(64), torch.Generator().manual_seed(5))
    area = (y[:, 0, 0] > 127).float().sum((1, 2))  # (B,) the square's area after the zoom
    assert area.min() < 0.6 * 1024 < 1024 < 1.1 * 1024 < area.max()  # further away and nearer both drawn
    assert torch.equal(y[:, 0], y[:, 1]) and y[:, :, :, 0, 0].max() == 0  # the floor fills the margin
    centre = y[:, 0, 0, 30:34, 30:34]
    assert (centre == 255).all()  # scaled about the centre, not shifted


def test_augmented_training_resumes_exactly(run, tmp_path):
    _, data, _, _, _ = run
    train = ["train", f"data.path={data}", "data.batch_size=8", "log_every=1", "ckpt_every=3", "val_every=0",
             "loss.num_proj=16", "device=cpu", "data.augment=[channel_shuffle,color_jitter]", *TINY_MODEL]  # fmt: skip
    assert main([*train, "steps=6", f"out={tmp_path / 'whole'}"]) == 0
    assert main([*train, "steps=3", f"out={tmp_path / 'cut'}"]) == 0
    assert main([*train, "steps=6", f"out={tmp_path / 'cut'}", "--resume"]) == 0
    plain = tmp_path / "plain"
    assert main([*train[: -len(TINY_MODEL) - 1], *TINY_MODEL, "steps=6", f"out={plain}"]) == 0

    def losses(run):
        with open(run / "metrics.csv", newline="") as f:
            return [r["loss"] for r in csv.DictReader(f)]

    assert losses(tmp_path / "cut") == losses(tmp_path / "whole")
    assert losses(plain) != losses(tmp_path / "whole")  # the augmentation changes what is trained on


def test_every_benchmark_lever_composes_a_training_config(monkeypatch):
    from pathlib import Path

    from worldjepa.config import compose

    monkeypatch.syspath_prepend(str(Path(__file__).parents[2] / "benchmarks"))
    from _cells import LEVERS, RANDOMIZED_LEVER, RECIPE

    assert RANDOMIZED_LEVER in LEVERS
    for name, overrides in LEVERS.items():
        cfg = compose("train", [*RECIPE, *overrides])
        for augmentation in cfg.data.augment:
            AUGMENTATIONS.get(augmentation)  # an unknown name fails by name
        assert ("zoom" in cfg.data.augment) == ("zoom" in name), name
