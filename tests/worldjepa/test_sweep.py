"""`worldjepa train -m ...`: every combination runs into its own directory, with a summary."""

import json

from tiny_run import TINY_MODEL

from worldjepa.cli import main
from worldjepa.run_dir import last_checkpoint


def test_two_job_sweep(run, tmp_path, capsys):
    _, data, *_ = run
    sweep = tmp_path / "sweep"
    args = ["train", "-m", f"data.path={data}", f"out={sweep}", "steps=3", "seed=0,1", "data.batch_size=8",
            "log_every=1", "val_every=3", "loss.num_proj=16", *TINY_MODEL]  # fmt: skip
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "2/2 jobs ok" in out
    jobs = json.loads((sweep / "sweep_summary.json").read_text())
    assert [j["dir"] for j in jobs] == ["seed-0", "seed-1"] and all(j["status"] == "ok" for j in jobs)
    for j in jobs:
        assert (last_checkpoint(sweep / j["dir"]) / "model.safetensors").exists()
        assert j["summary"]["step"] == "3"
    # different seeds: different runs
    assert jobs[0]["summary"]["pred_loss"] != jobs[1]["summary"]["pred_loss"]
    # a job's directory is a checkpoint the other commands take as it is
    assert main(["eval", f"checkpoint={sweep / 'seed-0'}", "episodes=1", "budget=2", "policies=[noop]"]) == 0
    # and the same sweep again is refused, not run over the finished jobs
    capsys.readouterr()
    assert main(args) == 2 and "already holds a sweep" in capsys.readouterr().err


def test_a_bad_value_anywhere_in_a_sweep_stops_it_before_the_first_job(run, tmp_path, capsys):
    _, data, *_ = run
    sweep = tmp_path / "sweep"
    assert main(["train", "-m", f"data.path={data}", f"out={sweep}", "steps=2,0"]) == 2
    err = capsys.readouterr().err
    assert "steps=0: must be >= 1" in err and len(err.strip().splitlines()) == 1
    assert not sweep.exists()


def test_a_recipe_sweep_trains_each_recipe(run, tmp_path, capsys):
    """Each job runs its recipe's objective (a recipe expands into other keys: the jobs must
    run what was composed, not Hydra's unexpanded node)."""
    import csv

    _, data, *_ = run
    sweep = tmp_path / "recipes"
    args = ["train", "-m", f"data.path={data}", f"out={sweep}", "steps=2", "recipe=lewm,pldm", "data.batch_size=8",
            "log_every=1", "val_every=2", "loss.num_proj=16", *TINY_MODEL]  # fmt: skip
    assert main(args) == 0
    for job, term in (("recipe-lewm", "sigreg_loss"), ("recipe-pldm", "var_loss")):
        with open(sweep / job / "metrics.csv", newline="") as f:
            assert term in next(csv.DictReader(f)), job
