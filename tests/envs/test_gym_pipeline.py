"""Any gymnasium MuJoCo env, end to end through the CLI: collect -> train -> eval (and what the
optional parts of the env contract make the other commands say), with no worldjepa code."""

import json

import numpy as np
import pytest
from tiny_run import TINY_MODEL

from worldjepa.cli import main
from worldjepa.collection import CollectConfig, collect
from worldjepa.datasets import open_dataset

SMALL_PLANNER = ["planner.num_samples=8", "planner.num_iters=2", "planner.num_elites=2"]


def _collect_train_eval(root, env_id: str) -> dict:
    """20 random episodes at 32 px, 50 training steps of a tiny model, eval on 5 held-out
    episodes -> results.json of the eval."""
    data, run = root / "data", root / "run"
    assert (
        main(["collect", f"env={env_id}", "episodes=20", "policy=random", "image_size=32", f"out={data}"])
        == 0
    )
    train = ["train", f"data.path={data}", f"out={run}", "steps=50", "data.batch_size=16", "data.val_fraction=0.25",
             "val_every=50", "ckpt_every=50", "log_every=25", "loss.num_proj=64", *TINY_MODEL]  # fmt: skip
    assert main(train) == 0
    assert (
        main(["eval", f"checkpoint={run}", "episodes=5", "budget=10", "goal_offset=10", *SMALL_PLANNER]) == 0
    )
    return json.loads((run / "eval" / "results.json").read_text())


@pytest.fixture(scope="module")
def reacher_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("reacher_v5")
    return root, _collect_train_eval(root, "Reacher-v5")


def test_gymnasium_reacher_collects_trains_and_evaluates(reacher_run):
    root, res = reacher_run
    ds = open_dataset(root / "data")
    assert ds.meta["env_id"] == "Reacher-v5" and ds.num_episodes == 20 and ds.num_steps == 20 * 50
    assert ds.state_names[:2] == ["joint0", "joint1"] and ds.image_size == (32, 32)
    assert [s["policy"] for s in res["summary"]] == ["mpc", "random", "noop"]
    assert len(res["tasks"]) == 5 and all(s["episodes"] == 5 for s in res["summary"])


def test_a_users_own_mujoco_env_from_a_module(tmp_path, user_env_module):
    env_id = f"{user_env_module}:Puck-v0"
    res = _collect_train_eval(tmp_path, env_id)
    ds = open_dataset(tmp_path / "data")
    assert ds.meta["env_id"] == env_id  # eval re-imported the module from this string
    assert ds.state_names == ["puck_x", "puck_y", "puck_x_vel", "puck_y_vel"] and ds.num_steps == 20 * 40
    assert len(res["tasks"]) == 5


def test_optional_parts_of_the_contract_fail_in_one_line(reacher_run, tmp_path, capsys):
    root, _ = reacher_run
    run = root / "run"
    capsys.readouterr()
    assert (
        main(["eval", f"checkpoint={run}", "protocol=task", "episodes=2", f"out={tmp_path}", *SMALL_PLANNER])
        == 2
    )
    err = capsys.readouterr().err
    assert (
        "Reacher-v5 samples no tasks of its own" in err
        and "protocol=offset" in err
        and "Traceback" not in err
    )
    assert main(["surprise", f"checkpoint={run}", f"out={tmp_path}", "violations=[teleport]"]) == 2
    err = capsys.readouterr().err
    assert "no intervene" in err and "Traceback" not in err
    assert main(["eval", f"checkpoint={run}", "policies=[expert]", "episodes=2", f"out={tmp_path}"]) == 2
    assert "has no scripted expert" in capsys.readouterr().err  # before any planning


def test_probe_reads_the_adapted_state(reacher_run, tmp_path):
    root, _ = reacher_run
    args = [
        "probe",
        f"checkpoint={root / 'run'}",
        f"out={tmp_path}",
        "stride=5",
        "probes=[linear]",
        "frames=2",
    ]
    assert main(args) == 0
    quantities = {r["quantity"] for r in json.loads((tmp_path / "results.json").read_text())["results"]}
    assert {"joint0", "joint1", "joint0_vel"} <= quantities


def test_collect_errors_are_one_line(tmp_path, capsys):
    assert main(["collect", "env=Nope-v9", f"out={tmp_path / 'a'}"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown env 'Nope-v9'" in err and "gymnasium MuJoCo id" in err
    assert main(["collect", "env=Reacher-v5", "episodes=1", f"out={tmp_path / 'b'}"]) == 2  # policy=expert
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "Reacher-v5 has no scripted expert" in err and "policy=random" in err


def test_parallel_collect_of_an_adapted_env_matches_sequential(tmp_path):
    """AsyncVectorEnv (forkserver) workers build the adapter from the id and record the same."""
    kw = {"env": "Reacher-v5", "image_size": 16, "episodes": 3, "policy": "random", "commit_every": 2}
    one = open_dataset(collect(CollectConfig(out=str(tmp_path / "one"), **kw)))
    two = open_dataset(collect(CollectConfig(out=str(tmp_path / "two"), num_envs=2, **kw)))
    for ep in range(3):
        a, b = one.read_episode(ep), two.read_episode(ep)
        assert all(np.array_equal(a[k], b[k]) for k in a), ep
