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
        {"features": "model", "probe": "linear", "quantity": q, "kind": "state", "r2": r}
        for q, r in (("x", 0.5), ("y", 0.25))
    ]
    assert "| x | state | 0.500 |" in format_table(rows, ["x", "y"], ["model"], ["linear"])
    x, y = planted(q=2)
    path = plot_predictions(["a", "b"], y, y + 0.1, tmp_path / "p.png", "t")
    assert path.stat().st_size > 1000


def test_training_probe_monitor_tells_informative_from_collapsed_latents():
    from worldjepa.training.monitor import probe_monitor

    rng = np.random.default_rng(0)
    state = rng.normal(size=(400, 3)).astype(np.float32)
    episode = np.repeat(np.arange(20), 20)
    informative = np.tanh(state @ rng.normal(size=(3, 16))) * 0.1 + state @ rng.normal(size=(3, 16))
    assert probe_monitor(informative, state, episode) > 0.95
    collapsed = np.ones((400, 16), np.float32) + 1e-7 * rng.normal(size=(400, 16))
    assert probe_monitor(collapsed, state, episode) < 0.05
    # A constant column read back from the simulator in float32 (a fixed height) has a tiny
    # spread; it must be left out, not turn the score into nan.
    with_constant = np.concatenate(
        [state, np.full((400, 1), 0.025, np.float32) + rng.choice([0, 2e-9], (400, 1))], 1
    )
    assert probe_monitor(informative, with_constant.astype(np.float32), episode) > 0.95


def _blurred(frames: np.ndarray, sigma: float = 4.0) -> np.ndarray:
    """(T, H, W, 3) uint8 -> (T, H*W*3) float32 Gaussian-blurred pixels in [0, 1]."""
    r = np.arange(-3 * int(sigma), 3 * int(sigma) + 1)
    k = np.exp(-0.5 * (r / sigma) ** 2)
    k /= k.sum()
    x = frames.astype(np.float32) / 255
    for axis in (1, 2):
        x = np.apply_along_axis(lambda v: np.convolve(v, k, mode="same"), axis, x)
    return x.reshape(len(x), -1)


class _CopyModel:
    """A predictor that says 'nothing changes': ẑ_b = z_{b-1}. Its error is the latent's jump."""

    def rollout(self, z_ctx, actions, actions_ctx=None):
        return z_ctx[:, -1][:, None, None].expand(-1, actions.shape[1], actions.shape[2], -1)


@pytest.mark.parametrize("violation", ["teleport", "color", "physics"])
def test_surprise_rises_at_an_injected_event(violation):
    import torch

    from worldjepa.envs import make_env
    from worldjepa.probes.surprise import prediction_errors, replay
    from worldjepa.probes.violations import VIOLATIONS

    env = make_env("worldjepa/TwoRoom-v0", image_size=32)
    start = np.array([-0.5, 0.0, 0.0, 0.0])  # the middle of the left room
    # Gently one way, then back (a physics change shows in how the agent turns around).
    actions = np.repeat([[0.4, 0.2], [-0.4, -0.2]], 20, axis=0).astype(np.float32)
    runs = {}
    for name in ("normal", violation):
        frames, what = replay(env, start, None, actions, 5, 4, VIOLATIONS.get(name) if name != "normal" else None,
                              np.random.default_rng(1), {"agent_mass": 5.0} if name == "physics" else None)  # fmt: skip
        z = _blurred(frames)  # a fixed encoder whose distances grow with displacement
        runs[name] = prediction_errors(_CopyModel(), torch.as_tensor(z)[None], np.zeros((8, 10)), 3)[0]
    env.close()
    normal, hit = runs["normal"], runs[violation]
    assert np.allclose(hit[:3], normal[:3])  # frames 1..3: the same replay before the event at 4
    if violation == "physics":  # the frame at the event is unchanged; the motion after it is not
        assert np.isclose(hit[3], normal[3]) and np.abs(hit[4:] - normal[4:]).max() > 0.2 * normal[4:].max()
    else:
        assert hit[3] > 3 * max(normal.max(), hit[:3].max())  # the spike is at the event's frame


def test_probe_reads_visual_factors_and_physical_ones_from_a_window(tmp_path):
    """On randomized factors the probe reports every visual factor (a nuisance for control)
    beside the physical ones, and the physical ones again from a window of frames."""
    import json

    from tiny_run import TINY_MODEL

    from worldjepa.cli import main

    data, run, out = tmp_path / "data", tmp_path / "run", tmp_path / "probe"
    assert main(["collect", "episodes=48", "image_size=32", "factors=train", f"out={data}"]) == 0
    assert main(["train", f"data.path={data}", f"out={run}", "steps=2", "data.batch_size=8",
                 "data.val_fraction=0.25", "loss.num_proj=64", "val_every=0", *TINY_MODEL]) == 0  # fmt: skip
    args = [
        "probe",
        f"checkpoint={run}",
        f"out={out}",
        "probes=[linear]",
        "features=[pixels,model]",
        "stride=5",
    ]
    assert main(args) == 0
    res = json.loads((out / "results.json").read_text())
    rows = {(r["features"], r["quantity"]): r for r in res["results"]}
    kinds = {q: r["kind"] for (_, q), r in rows.items()}
    assert kinds["floor_color[0]"] == "visual" and kinds["light"] == "visual"
    assert kinds["door_position"] == "geometric" and kinds["agent_mass"] == "physical"
    # Pixels see the walls directly: a colour that varies across episodes is decodable from them.
    assert min(rows[("pixels", f"wall_color[{i}]")]["r2"] for i in range(3)) > 0.5
    window = {q for (_, q), r in rows.items() if r["frames"] == 4}
    assert window == {"agent_mass (4 frames)", "damping (4 frames)"}
    assert (out / "pixels-linear-4frames.png").exists()
    assert "damping (4 frames)" in (out / "table.md").read_text()
