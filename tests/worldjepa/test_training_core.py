"""The training core around the loop: a checkpoint history, the layout before it, objectives by
registry (every term logged), experiment trackers, torch.compile."""

import csv
import json
import shutil
import sys

import pytest
import torch
from tiny_run import TINY_MODEL

import worldjepa as wj
from worldjepa.cli import main
from worldjepa.losses.objectives import REGULARISERS, Regulariser
from worldjepa.run_dir import last_checkpoint, saved_steps
from worldjepa.training.logger import read_metrics


def train_args(data, out, *extra):
    return ["train", f"data.path={data}", f"out={out}", "data.batch_size=8", "loss.num_proj=64", "device=cpu",
            "val_every=0", *TINY_MODEL, *extra]  # fmt: skip


def column(run, key) -> list[str]:
    with open(run / "metrics.csv", newline="") as f:
        return [r[key] for r in csv.DictReader(f)]


def test_history_keeps_the_newest_and_any_step_can_be_picked(run, tmp_path):
    _, data, _, _, _ = run
    out = tmp_path / "run"
    assert main(train_args(data, out, "steps=12", "ckpt_every=3", "keep_last=2", "log_every=3")) == 0
    assert saved_steps(out) == [9, 12]
    assert last_checkpoint(out) == out / "checkpoints" / "12"
    assert (out / "checkpoints" / "last").resolve() == out / "checkpoints" / "12"
    assert wj.load(out).path == out / "checkpoints" / "12"
    picked = wj.load(out / "checkpoints" / "9")
    assert picked.preprocess["step"] == 9
    w9, w12 = (wj.load(out / "checkpoints" / s).model.state_dict() for s in ("9", "12"))
    assert any(not torch.equal(w9[k], w12[k]) for k in w9)  # two different models
    eval_out = tmp_path / "eval9"
    argv = ["eval", f"checkpoint={out}/checkpoints/9", f"out={eval_out}", "episodes=1", "budget=5",
            "policies=[mpc]", "planner.num_samples=8", "planner.num_iters=1", "planner.num_elites=2"]  # fmt: skip
    assert main(argv) == 0
    assert json.loads((eval_out / "results.json").read_text())["checkpoint"] == str(out / "checkpoints" / "9")
    run_info = json.loads((out / "run.json").read_text())
    assert run_info["world_size"] == 1 and run_info["global_batch_size"] == 8
    assert len(run_info["git"]["commit"] or "x" * 40) == 40
    assert "global_batch_size: 8" in (out / "config.yaml").read_text()


def test_a_run_in_the_single_checkpoint_layout_loads_and_resumes_into_the_history(run, tmp_path):
    _, data, out, _, train = run
    legacy = tmp_path / "legacy"
    shutil.copytree(last_checkpoint(out), legacy / "checkpoint")  # the layout before checkpoints/<step>/
    shutil.copy(out / "metrics.csv", legacy / "metrics.csv")
    assert wj.load(legacy).path == legacy / "checkpoint"
    resumed = [a if not a.startswith("out=") else f"out={legacy}" for a in train]
    assert main([*resumed, "steps=25", "--resume"]) == 0
    assert saved_steps(legacy) == [25]
    assert read_metrics(legacy / "metrics.csv")["step"][-1] == 25


def test_a_registered_regulariser_is_trained_and_its_term_logged(run, tmp_path):
    _, data, _, _, _ = run

    class MeanNorm(torch.nn.Module):
        def forward(self, z, generator=None):
            return z.float().pow(2).sum(-1).mean()

    REGULARISERS.register("test_l2")(Regulariser(build=lambda cfg: MeanNorm(), weight=lambda cfg: 0.01))
    out = tmp_path / "l2"
    try:
        assert main(train_args(data, out, "steps=4", "log_every=2", "loss.regulariser=test_l2")) == 0
    finally:
        REGULARISERS._items.pop("test_l2")
    m = read_metrics(out / "metrics.csv")
    assert len(m["test_l2_loss"]) == 2 and all(v > 0 for v in m["test_l2_loss"])
    for a, b, c in zip(m["loss"], m["pred_loss"], m["test_l2_loss"], strict=True):
        assert a == pytest.approx(b + 0.01 * c, rel=1e-5)


def test_the_episode_centred_regulariser_trains_on_batches_of_whole_episodes(run, tmp_path, monkeypatch):
    from worldjepa.losses import objectives

    _, data, _, _, _ = run
    seen = []
    original = objectives.EpisodeCentredSIGReg.forward

    def spy(self, z, generator, episode):
        seen.append(episode.tolist())
        return original(self, z, generator, episode)

    monkeypatch.setattr(objectives.EpisodeCentredSIGReg, "forward", spy)
    out = tmp_path / "episodes"
    argv = train_args(
        data, out, "steps=4", "log_every=2", "data.per_episode=4", "loss.regulariser=sigreg_episode"
    )
    assert main(argv) == 0
    assert len(seen) == 4 and all(len(set(ep[:4])) == 1 and len(set(ep[4:])) == 1 for ep in seen), seen
    m = read_metrics(out / "metrics.csv")
    assert len(m["sigreg_episode_loss"]) == 2 and all(v > 0 for v in m["sigreg_episode_loss"])


def test_tensorboard_events_read_back(run, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    _, data, _, _, _ = run
    out = tmp_path / "tb"
    assert main(train_args(data, out, "steps=6", "log_every=2", "logger=tensorboard")) == 0
    events = EventAccumulator(str(out / "tensorboard"), size_guidance={"tensors": 0})
    events.Reload()
    assert {"loss", "pred_loss", "sigreg_loss", "rank", "lr"} <= set(events.Tags()["scalars"])
    steps = [e.step for e in events.Scalars("loss")]
    assert steps == [2, 4, 6]
    csv_loss = [float(v) for v in column(out, "loss")]
    assert [e.value for e in events.Scalars("loss")] == pytest.approx(csv_loss, rel=1e-6)
    text = events.Tensors("config/text_summary")[0].tensor_proto.string_val[0].decode()
    assert '"git"' in text and '"sigreg_weight"' in text  # the resolved config and the commit


def test_wandb_runs_offline(run, tmp_path, monkeypatch):
    pytest.importorskip("wandb")
    monkeypatch.setenv("WANDB_BASE_URL", "http://127.0.0.1:9")  # were it to try the network, it would fail
    _, data, _, _, _ = run
    out = tmp_path / "wb"
    assert main(train_args(data, out, "steps=4", "log_every=2", "logger=wandb")) == 0
    (record,) = (out / "wandb").glob("offline-run-*/run-*.wandb")
    assert b"pred_loss" in record.read_bytes() and b"sigreg_weight" in record.read_bytes()


def test_a_tracker_that_is_not_installed_is_one_line(run, tmp_path, monkeypatch, capsys):
    _, data, _, _, _ = run
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # import tensorboard -> ImportError
    assert main(train_args(data, tmp_path / "x", "steps=2", "logger=tensorboard")) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "pip install 'worldjepa[tensorboard]'" in err


def test_compiled_training_agrees_with_eager(run, tmp_path):
    _, data, _, _, _ = run
    args = ("steps=3", "log_every=1", "amp=none")
    assert main(train_args(data, tmp_path / "eager", *args)) == 0
    assert main(train_args(data, tmp_path / "compiled", *args, "compile=true")) == 0
    eager = [float(v) for v in column(tmp_path / "eager", "loss")]
    compiled = [float(v) for v in column(tmp_path / "compiled", "loss")]
    assert compiled == pytest.approx(eager, rel=1e-4)


def test_eval_every_logs_a_planning_curve(run, tmp_path):
    _, data, _, _, _ = run
    out = tmp_path / "plan"
    assert main(train_args(data, out, "steps=6", "log_every=4", "eval_every=3", "eval_tasks=2")) == 0
    m = read_metrics(out / "metrics.csv")
    planned = [(s, v) for s, v in zip(m["step"], m["val_success"], strict=True) if v == v]
    assert [s for s, _ in planned] == [3.0, 6.0]  # its own rows when they fall between log steps
    assert all(0.0 <= v <= 1.0 for _, v in planned)
    assert m["step"] == [3.0, 4.0, 6.0]
