"""Probes: fitting, scores, and the report."""

import numpy as np
import pytest

from worldjepa.probes import PROBES, scores
from worldjepa.probes.features import FEATURES
from worldjepa.probes.report import format_table, plot_predictions


def planted(n=600, f=12, q=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, f)).astype(np.float32)
    w, b = rng.normal(size=(f, q)), rng.normal(size=q) * 5
    return x, (x @ w + b).astype(np.float32)


def test_linear_probe_recovers_a_planted_linear_quantity_exactly():
    x, y = planted()
    pred = PROBES.get("linear")(x[:400], y[:400], x[400:])
    assert np.allclose(pred, y[400:], atol=1e-3)
    assert scores(y[400:], pred)["r2"].min() > 0.9999


def test_linear_probe_cannot_fake_a_quantity_the_features_do_not_hold():
    x, _ = planted()
    y = np.random.default_rng(1).normal(size=(600, 2)).astype(np.float32)  # independent of x
    r2 = scores(y[400:], PROBES.get("linear")(x[:400], y[:400], x[400:]))["r2"]
    assert r2.max() < 0.05


def test_mlp_probe_beats_linear_on_a_nonlinear_quantity():
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, size=(3000, 2)).astype(np.float32)
    y = np.sin(2 * x[:, :1]) * x[:, 1:]  # (N, 1)
    groups = np.repeat(np.arange(300), 10)
    lin = scores(y[2500:], PROBES.get("linear")(x[:2500], y[:2500], x[2500:]))["r2"][0]
    mlp = scores(y[2500:], PROBES.get("mlp")(x[:2500], y[:2500], x[2500:], groups=groups[:2500]))["r2"][0]
    assert mlp > 0.9 and lin < 0.2


def test_scores():
    y = np.array([[0.0, 1.0], [1.0, 3.0], [2.0, 5.0]])
    s = scores(y, y)
    assert np.allclose(s["r2"], 1) and np.allclose(s["pearson"], 1) and np.allclose(s["mse"], 0)
    s = scores(y, np.broadcast_to(y.mean(0), y.shape))  # the mean: R² 0
    assert np.allclose(s["r2"], 0) and np.isnan(s["pearson"]).all()
    assert np.allclose(scores(y, 2 * y + 1)["pearson"], 1)  # r ignores scale, R² does not
    assert (scores(y, 2 * y + 1)["r2"] < 0).all()


def test_pixel_features_average_blocks():
    frames = np.zeros((1, 8, 8, 3), np.uint8)
    frames[0, :4, :4] = 255  # top-left quarter white
    feats = FEATURES.get("pixels")(None, 0, "cpu", 2)(frames)
    assert feats.shape == (1, 12)
    assert np.allclose(feats.reshape(2, 2, 3)[:, :, 0], [[1, 0], [0, 0]])
    with pytest.raises(ValueError, match="divide"):
        FEATURES.get("pixels")(None, 0, "cpu", 3)(frames)


def test_report(tmp_path):
    rows = [
        {"features": "model", "probe": "linear", "quantity": q, "r2": r} for q, r in (("x", 0.5), ("y", 0.25))
    ]
    assert "| x | 0.500 |" in format_table(rows, ["x", "y"], ["model"], ["linear"])
    x, y = planted(q=2)
    path = plot_predictions(["a", "b"], y, y + 0.1, tmp_path / "p.png", "t")
    assert path.stat().st_size > 1000


def test_training_probe_monitor_tells_informative_from_collapsed_latents():
    from worldjepa.training.trainer import probe_monitor

    rng = np.random.default_rng(0)
    state = rng.normal(size=(400, 3)).astype(np.float32)
    episode = np.repeat(np.arange(20), 20)
    informative = np.tanh(state @ rng.normal(size=(3, 16))) * 0.1 + state @ rng.normal(size=(3, 16))
    assert probe_monitor(informative, state, episode) > 0.95
    collapsed = np.ones((400, 16), np.float32) + 1e-7 * rng.normal(size=(400, 16))
    assert probe_monitor(collapsed, state, episode) < 0.05
