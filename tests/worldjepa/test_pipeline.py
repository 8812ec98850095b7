"""collect -> train -> resume -> eval on a tiny TwoRoom run (32 px, tiny model), through the CLI."""

import csv
import json
import shutil

import imageio.v3
import numpy as np
import pytest
import yaml
from tiny_run import TINY_MODEL

from worldjepa.cli import main
from worldjepa.errors import CheckpointError
from worldjepa.run_dir import last_checkpoint


def test_collect_writes_every_episode(run):
    from worldjepa.datasets import open_dataset

    _, data, *_ = run
    ds = open_dataset(data)
    assert ds.num_episodes == 8 and ds.num_steps == 800 and ds.image_size == (32, 32)


def test_checkpoint_layout_and_resume(run):
    _, _, out, first, _ = run
    ckpt = last_checkpoint(out)
    names = ["model.safetensors", "config.yaml", "preprocess.json", "manifest.json"]
    names += ["training_state.safetensors", "training_state.json"]
    assert sorted(p.name for p in ckpt.iterdir()) == sorted(names)
    pre = json.loads((ckpt / "preprocess.json").read_text())
    assert first["step"] == 10 and pre["step"] == 20
    assert pre["frameskip"] == 5 and pre["num_hist"] == 3 and pre["image_size"] == [32, 32]
    assert set(pre["train_episodes"]).isdisjoint(pre["val_episodes"]) and len(pre["val_episodes"]) == 2
    steps = [int(line.split(",")[0]) for line in (out / "metrics.csv").read_text().splitlines()[1:]]
    assert steps == [5, 10, 15, 20]  # the resumed run appended, it did not restart
    with open(out / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    val = [r for r in rows if r["val_rank"]]  # the training monitors, at every validation
    assert [int(r["step"]) for r in val] == [10, 20]
    assert all(float(r["val_rank"]) >= 1 and 0 <= float(r["val_probe_r2"]) <= 1 for r in val)
    assert (out / "training_curves.png").exists()


def test_training_again_into_a_full_dir_refuses(run, capsys):
    _, _, _, _, train = run
    assert main([*train, "steps=20"]) == 2
    assert "--resume" in capsys.readouterr().err


def test_resuming_a_finished_run_changes_nothing(run):
    _, _, out, _, train = run
    before = {p.name: p.stat().st_mtime_ns for p in (last_checkpoint(out)).iterdir()}
    metrics = (out / "metrics.csv").read_text()
    assert main([*train, "steps=20", "--resume"]) == 0
    assert {p.name: p.stat().st_mtime_ns for p in (last_checkpoint(out)).iterdir()} == before
    assert (out / "metrics.csv").read_text() == metrics


def test_training_window_shorter_than_the_predictor_history_is_refused(run, tmp_path, capsys):
    _, data, *_ = run
    base = ["train", f"data.path={data}", f"out={tmp_path / 'r'}", "steps=1", *TINY_MODEL]
    assert main([*base, "data.num_steps=3"]) == 2  # rope: num_steps >= num_hist + 1
    assert "num_hist + 1" in capsys.readouterr().err
    assert main([*base, "data.num_steps=6", "model.predictor_pos=learned"]) == 2
    assert "learned positions" in capsys.readouterr().err
    assert main([*base, "loss.idm_weight=0.1"]) == 2  # an inverse-dynamics term without its head
    assert "model.idm_hidden" in capsys.readouterr().err


def test_eval_reports_every_policy(run):
    _, _, out, _, _ = run
    args = [
        "eval",
        f"checkpoint={out}",
        "episodes=2",
        "budget=10",
        "planner.num_samples=8",
        "planner.num_iters=2",
        "planner.num_elites=2",
        "video=true",
        "video_max=1",
    ]
    assert main(args) == 0
    res = json.loads((out / "eval" / "results.json").read_text())
    assert [s["policy"] for s in res["summary"]] == ["mpc", "random", "noop"]
    held_out = json.loads((last_checkpoint(out) / "preprocess.json").read_text())["val_episodes"]
    assert {t["episode_idx"] for t in res["tasks"]} <= set(held_out)
    for s in res["summary"]:
        assert s["episodes"] == len(res["tasks"]) and 0 <= s["ci95"][0] <= s["success_rate"] <= s["ci95"][1]
    videos = list((out / "eval" / "videos").glob("*.mp4"))
    assert len(videos) == 1
    frame = imageio.v3.imread(videos[0], index=0, plugin="pyav")  # agent | goal | distance plot
    assert frame.shape[1] > 2 * frame.shape[0] + frame.shape[0]


def test_eval_video_at_the_default_64px(tmp_path):
    """64 px frames make a 933 px wide video (agent | goal | plot): odd, which yuv420p cannot hold."""
    data, out = tmp_path / "data", tmp_path / "run"
    assert main(["collect", "episodes=3", f"out={data}"]) == 0  # the default image_size
    train = ["train", f"data.path={data}", f"out={out}", "data.batch_size=4", "data.val_fraction=0",
             "steps=2", "log_every=1", "val_every=0", "ckpt_every=2", "loss.num_proj=16", *TINY_MODEL]  # fmt: skip
    assert main(train) == 0
    assert json.loads((last_checkpoint(out) / "preprocess.json").read_text())["image_size"] == [64, 64]
    args = ["eval", f"checkpoint={out}", "protocol=task", "episodes=2", "budget=4", "policies=[mpc,noop]",
            "planner.num_samples=4", "planner.num_iters=1", "planner.num_elites=2", "video=true"]  # fmt: skip
    assert main(args) == 0
    res = json.loads((out / "eval" / "results.json").read_text())
    assert [s["policy"] for s in res["summary"]] == ["mpc", "noop"]
    videos = sorted((out / "eval" / "videos").glob("*.mp4"))
    assert len(videos) == 2
    clip = imageio.v3.imread(videos[0], plugin="pyav")
    assert clip.shape[0] == 5 and clip.shape[1] == 256 and clip.shape[2] == 934  # 933 padded to even


def test_results_are_written_before_any_video(run, tmp_path, monkeypatch):
    import worldjepa.evaluation.video as video

    def broken(path, *args, **kwargs):
        raise RuntimeError("no encoder")

    _, _, out, _, _ = run
    monkeypatch.setattr(video, "write_episode_video", broken)
    args = ["eval", f"checkpoint={out}", "episodes=2", "budget=3", "policies=[noop]", "video=true",
            f"out={tmp_path}"]  # fmt: skip
    with pytest.raises(RuntimeError, match="no encoder"):
        main(args)
    assert json.loads((tmp_path / "results.json").read_text())["summary"][0]["policy"] == "noop"


def test_checkpoint_from_another_model_is_named(run, tmp_path):
    from worldjepa.checkpoint import load_checkpoint

    _, _, out, _, _ = run
    bad = tmp_path / "ckpt"
    shutil.copytree(last_checkpoint(out), bad)
    cfg = yaml.safe_load((bad / "config.yaml").read_text())
    cfg["model"]["latent_dim"] = 24
    (bad / "config.yaml").write_text(yaml.safe_dump(cfg))
    (bad / "manifest.json").unlink()  # hand-edited: its checksum would no longer match
    with pytest.raises(CheckpointError, match="different model"):
        load_checkpoint(bad)
    (bad / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match="missing model.safetensors"):
        load_checkpoint(bad)


@pytest.mark.parametrize("planner", ["cem", "icem", "mppi"])
def test_eval_with_a_fixed_seed_is_reproducible_episode_by_episode(run, tmp_path, planner):
    _, _, out, _, _ = run
    args = ["eval", f"checkpoint={out}", "episodes=3", "budget=10", f"planner={planner}",
            "planner.num_samples=8", "planner.num_iters=2", "policies=[mpc,random]", "seed=5"]  # fmt: skip
    if planner != "mppi":  # MPPI keeps no elites
        args.append("planner.num_elites=2")
    episodes = []
    for k in range(2):
        assert main([*args, f"out={tmp_path / str(k)}"]) == 0
        episodes.append(json.loads((tmp_path / str(k) / "results.json").read_text())["episodes"])
    assert episodes[0] == episodes[1]
    assert [e["episode_idx"] for e in episodes[0]["mpc"]] == [e["episode_idx"] for e in episodes[0]["random"]]


def test_task_protocol_samples_tasks_from_the_env(run, tmp_path, capsys):
    _, _, out, _, _ = run
    args = ["eval", f"checkpoint={out}", "protocol=task", "factors=train", "episodes=3", "budget=5",
            "planner.num_samples=8", "planner.num_iters=2", "planner.num_elites=2", f"out={tmp_path}"]  # fmt: skip
    assert main(args) == 0
    res = json.loads((tmp_path / "results.json").read_text())
    assert [t["episode_idx"] for t in res["tasks"]] == [
        0,
        1,
        2,
    ] and "env-sampled tasks (train factors)" in res["table"]
    assert all(s["episodes"] == 3 for s in res["summary"])
    assert main([*args[:2], "protocol=nope"]) == 2
    assert "protocol=nope: must be one of: offset, task" in capsys.readouterr().err


def test_expert_policy_shows_the_ceiling_of_a_task_set(run, tmp_path):
    _, _, out, _, _ = run
    args = ["eval", f"checkpoint={out}", "protocol=task", "episodes=6", "budget=150",
            "policies=[expert,noop]", f"out={tmp_path}"]  # fmt: skip
    assert main(args) == 0
    rates = {
        s["policy"]: s["success_rate"] for s in json.loads((tmp_path / "results.json").read_text())["summary"]
    }
    assert rates["expert"] >= 5 / 6 and rates["noop"] == 0


def test_probe_reports_every_quantity_against_its_baselines(run, tmp_path, capsys):
    _, _, out, _, _ = run
    args = ["probe", f"checkpoint={out}", f"out={tmp_path}", "stride=1", "probes=[linear]", "frames=2"]
    assert main(args) == 0
    res = json.loads((tmp_path / "results.json").read_text())
    r2 = {(r["features"], r["quantity"]): r["r2"] for r in res["results"]}
    assert {f for f, _ in r2} == {"model", "encoder", "random", "random_encoder", "pixels"}
    assert {"agent_x", "agent_y", "agent_vx", "agent_vy"} <= {q for _, q in r2}
    # Frames and targets line up: 8x8 pixels place the agent whatever the (barely trained) model.
    assert r2[("pixels", "agent_x")] > 0.6 and r2[("pixels", "agent_y")] > 0.6
    assert (tmp_path / "model-linear.png").exists() and (tmp_path / "table.md").exists()
    assert "held-out episodes" in capsys.readouterr().out
    assert main([*args, "features=[modle]"]) == 2


def test_surprise_command_replays_held_out_episodes_with_and_without_violations(run, tmp_path, capsys):
    _, _, out, _, _ = run
    args = ["surprise", f"checkpoint={out}", f"out={tmp_path}", "violations=[teleport,color]"]
    assert main(args) == 0
    res = json.loads((tmp_path / "results.json").read_text())
    assert [r["violation"] for r in res["results"]] == ["teleport", "color"]
    assert len(res["scores"]["normal"]) == len(res["episodes"]) == 2  # the 2 held-out episodes
    for v in ("teleport", "color"):  # the same replay until the event
        assert np.allclose(res["curves"][v]["-1"], res["curves"]["normal"]["-1"])
        assert not np.allclose(res["curves"][v]["0"], res["curves"]["normal"]["0"])
    assert (tmp_path / "curves.png").exists() and "ROC AUC" in capsys.readouterr().out
    assert main([*args[:-1], "violations=[warp]"]) == 2


def test_eval_on_the_training_data_by_name_still_plans_on_held_out_episodes(run, tmp_path):
    """data=<the checkpoint's own dataset> is the default, not 'every episode': the trained-on
    ones are never scored."""
    _, data, out, first, _ = run
    args = ["eval", f"checkpoint={out}", f"data={data}", "episodes=8", "budget=2", "policies=[noop]"]
    assert main([*args, f"out={tmp_path}"]) == 0
    res = json.loads((tmp_path / "results.json").read_text())
    assert {t["episode_idx"] for t in res["tasks"]} <= set(first["val_episodes"])
