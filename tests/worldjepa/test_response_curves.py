"""`worldjepa eval sweep=<factor>`: the points, the curves, the resume and the bad inputs."""

import json

import numpy as np
import pytest

from worldjepa.cli import main
from worldjepa.envs import env_factor_space
from worldjepa.evaluation import evaluate as evaluate_module
from worldjepa.evaluation.response import max_reach, plot_curves, sweep_points

ENVS = ("worldjepa/TwoRoom-v0", "worldjepa/Reacher-v0", "worldjepa/PushT-v0", "worldjepa/Cube-v0")


@pytest.mark.parametrize("env_id", ENVS)
def test_every_factor_sweeps_from_its_default_into_ood(env_id):
    for f in env_factor_space(env_id):
        points = sweep_points(f, 7, 1.0)
        assert points[0]["region"] == "default" and points[0]["value"] == f.default
        assert points[-1]["region"] == "ood" and f.contains(points[-1]["value"], "ood")
        gone = [p["region"] for p in points].index("ood")
        assert all(p["region"] == "ood" for p in points[gone:]), f"{f.name} leaves OOD again"
        for p in points:
            f.coerce(p["value"])  # every point is a value the env accepts


def test_reach_past_ood_stays_within_the_limits():
    mass = env_factor_space("worldjepa/TwoRoom-v0")["agent_mass"]
    points = sweep_points(mass, 5, 1.5)
    assert points[-1]["region"] == "beyond" and points[-1]["value"] == pytest.approx(0.5 + 1.5 * (1.3 - 0.5))
    colour = env_factor_space("worldjepa/TwoRoom-v0")["agent_color"]
    farthest, why = max_reach(colour, 1.5)
    assert (
        farthest == pytest.approx(1.0) and "outside its valid limits" in why
    )  # its OOD corner's blue is 1.0


@pytest.mark.parametrize("env_id", ENVS)
def test_sweep_all_stops_each_factor_where_the_env_must(env_id):
    from worldjepa.envs import make_env
    from worldjepa.evaluation.response import _env_accepts, check_sweep

    space = env_factor_space(env_id)
    env = make_env(env_id, image_size=16)
    try:
        reach = {
            f.name: r
            for f, r in check_sweep("all", space, 1.5, lambda f, v: _env_accepts(env.unwrapped, f, v))
        }
        if env_id.endswith("TwoRoom-v0"):
            assert reach["agent_mass"] == 1.5 and reach["agent_color"] == pytest.approx(1.0)
            assert reach["door_position"] < 1.33  # a door this far up with the default width leaves no wall
        for f in space:
            for p in sweep_points(f, 3, reach[f.name]):  # every point builds and renders
                env.reset(seed=0, options={"factors": {f.name: p["value"]}})
    finally:
        env.close()


def test_the_plot_has_a_panel_per_factor(tmp_path):
    space = env_factor_space("worldjepa/TwoRoom-v0")
    curves = {}
    for f in space:
        rows = []
        for i, p in enumerate(sweep_points(f, 4, 1.0)):
            rate = 1.0 - i / 4
            summary = [{"policy": "mpc", "success_rate": rate, "ci95": [rate * 0.8, min(1.0, rate * 1.1)]}]
            rows.append({**p, "summary": summary, "pred_error": 0.1 * (1 + i), "copy_error": 0.5})
        curves[f.name] = rows
    path = plot_curves(curves, {f.name: f for f in space}, tmp_path / "sweep.png", "title")
    import imageio.v3 as iio

    image = iio.imread(path)
    assert image.shape[0] > 400 and image.shape[1] > 1000  # 4 x 2 panels


def test_sweep_measures_each_point_and_resumes(run, tmp_path, monkeypatch):
    _, _, out, _, _ = run
    dest = tmp_path / "sweep"
    args = ["eval", f"checkpoint={out}", "sweep=agent_mass", "points=3", "reach=1.5", "episodes=2", "budget=4",
            "error_episodes=1", "policies=[mpc,random]", f"out={dest}", "device=cpu"]  # fmt: skip
    assert main(args) == 0
    result = json.loads((dest / "sweep.json").read_text())
    rows = result["curves"]["agent_mass"]
    assert [r["region"] for r in rows] == ["default", "ood", "beyond"]
    assert [r["value"] for r in rows] == pytest.approx([0.5, 1.1, 1.7])
    for r in rows:
        assert [s["policy"] for s in r["summary"]] == ["mpc", "random"]
        assert r["summary"][0]["episodes"] == 2
        assert np.isfinite(r["pred_error"]) and r["pred_error"] > 0 and r["copy_error"] > 0
    assert (dest / "sweep.png").stat().st_size > 0 and "agent_mass" in (dest / "sweep.md").read_text()

    calls = []
    real = evaluate_module._sweep_point
    monkeypatch.setattr(evaluate_module, "_sweep_point", lambda *a, **k: calls.append(a) or real(*a, **k))
    assert main(args) == 0  # every point is on disk: nothing is planned again
    assert calls == [] and json.loads((dest / "sweep.json").read_text())["curves"] == result["curves"]
    args[3] = "points=4"  # masses 0.5, 0.9, 1.3, 1.7: the first and the last are stored
    assert main(args) == 0
    assert len(calls) == 2


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("sweep=nope", "sweep=nope: not a factor of this env; available: all, agent_color"),
        ("sweep=agent_color reach=1.5", "is outside its valid limits"),
        (
            "sweep=door_position reach=1.3",
            "leaves no inner wall on one side; keep |door_position| + door_width / 2 <= 0.95; the farthest it can reach is 1.25",
        ),
        ("points=1", "points=1"),
    ],
)
def test_bad_sweeps_fail_in_one_line(run, tmp_path, capsys, override, message):
    _, _, out, _, _ = run
    args = ["eval", f"checkpoint={out}", "episodes=1", "budget=2", f"out={tmp_path / 's'}", *override.split()]
    if "sweep" not in override:
        args.append("sweep=agent_mass")
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
