"""The CLI: instant help, one-line errors for bad input, and config composition."""

import subprocess
import sys

import pytest

from worldjepa.cli import main


def test_help_does_not_import_heavy_modules():
    code = (
        "import sys; from worldjepa.cli import main; main(['--help']); "
        "heavy = [m for m in ('torch', 'mujoco', 'lance', 'hydra') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_unknown_command(capsys):
    assert main(["fly"]) == 2
    assert "unknown command 'fly'" in capsys.readouterr().err


def test_unknown_config_key_is_one_clear_line(capsys):
    assert main(["train", "no_such_key=1"]) == 2
    err = capsys.readouterr().err
    assert "no_such_key" in err and "Traceback" not in err


def test_unknown_env(capsys):
    assert main(["factors", "worldjepa/Nope-v0"]) == 2
    err = capsys.readouterr().err
    assert "unknown env 'worldjepa/Nope-v0'" in err and "TwoRoom" in err


def test_factors_lists_kinds(capsys):
    assert main(["factors", "worldjepa/TwoRoom-v0"]) == 0
    out = capsys.readouterr().out
    for name in ("agent_color", "door_width", "agent_mass", "damping"):
        assert name in out
    assert "geometric" in out and "physical" in out and "visual" in out


def test_train_on_missing_dataset(capsys, tmp_path):
    assert main(["train", f"data.path={tmp_path / 'nothing'}", f"out={tmp_path / 'run'}"]) == 2
    err = capsys.readouterr().err
    assert "nothing" in err and "Traceback" not in err


def test_eval_on_missing_checkpoint(capsys, tmp_path):
    assert main(["eval", f"checkpoint={tmp_path}"]) == 2
    assert "checkpoint" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["collect", "train", "eval", "quickstart"])
def test_print_config(command, capsys):
    assert main([command, "--cfg"]) == 0
    assert capsys.readouterr().out.strip()


def test_quickstart_routes_stage_overrides():
    from worldjepa.config import compose

    cfg = compose("quickstart", ["out_dir=/tmp/qs", "train.steps=7", "eval.episodes=3"])
    collect, train, evaluate = cfg.collect, cfg.train, cfg.eval
    assert train.steps == 7 and evaluate.episodes == 3
    assert collect.out == "/tmp/qs/data" and train.data.path == "/tmp/qs/data"
    assert evaluate.checkpoint == "/tmp/qs/model"
