"""Checkpoints are data: a crafted pickle is refused, corruption is detected, malformed files give
one line. Each test works on a copy of the session's tiny run (see conftest.py)."""

import json
import pickle
import shutil

import pytest
import torch
import yaml

from worldjepa.checkpoint import has_training_state, load_checkpoint, load_training_state
from worldjepa.cli import main
from worldjepa.commands.quickstart import checkpoint_step
from worldjepa.errors import CheckpointError
from worldjepa.manifest import MANIFEST, write_manifest
from worldjepa.run_dir import last_checkpoint

NEW_STATE = ("training_state.safetensors", "training_state.json")


@pytest.fixture
def run_copy(run, tmp_path):
    """-> (a copy of the run dir, the train command pointed at it)."""
    _, _, out, _, train = run
    copy = tmp_path / "run"
    shutil.copytree(out, copy, ignore=shutil.ignore_patterns("eval"))
    return copy, [a if not a.startswith("out=") else f"out={copy}" for a in train]


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


def make_legacy(ckpt, state=None) -> None:
    """Turn ``ckpt`` into the pre-manifest layout: a pickled training_state.pt (optimizer, step and
    config: it predates the saved random states), no manifest."""
    if state is None:
        state = {k: v for k, v in load_training_state(ckpt).items() if k in ("optimizer", "step", "config")}
    for name in (*NEW_STATE, MANIFEST):
        (ckpt / name).unlink()
    torch.save(state, ckpt / "training_state.pt")


class WritesMarker:
    """Unpickling this calls open(marker, "w"): the file appears if any code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


def test_a_crafted_pickle_is_never_run_and_resuming_stops_with_one_line(run_copy, tmp_path, capsys):
    run, train = run_copy
    ckpt, marker = last_checkpoint(run), tmp_path / "pwned"
    make_legacy(ckpt, {"optimizer": WritesMarker(marker), "step": 10})
    pickle.loads(pickle.dumps(WritesMarker(tmp_path / "live")))  # the payload is live: unpickling runs it
    assert (tmp_path / "live").exists()

    assert main([*train, "steps=30", "--resume"]) == 2
    assert not marker.exists()
    err = one_line_error(capsys)
    assert "training_state.pt is not a safe training state" in err and "open" in err  # io.open or _io.open


def test_a_legacy_training_state_still_resumes_and_is_rewritten_as_data(run_copy, capsys):
    run, train = run_copy
    ckpt = last_checkpoint(run)
    before = load_training_state(ckpt)
    make_legacy(ckpt)
    legacy = load_training_state(ckpt)
    assert legacy["step"] == before["step"] == 20 and legacy["config"] == before["config"]
    for k, v in before["optimizer"]["state"][0].items():
        assert torch.equal(legacy["optimizer"]["state"][0][k], v)
    assert checkpoint_step(ckpt) == 20
    assert main([*train, "steps=22", "--resume"]) == 0
    names = {p.name for p in ckpt.iterdir()}
    assert {*NEW_STATE, MANIFEST} <= names and "training_state.pt" not in names
    assert load_training_state(ckpt)["step"] == 22


def test_a_pickle_planted_next_to_a_manifest_is_refused(run_copy):
    run, _ = run_copy
    ckpt = last_checkpoint(run)
    torch.save(load_training_state(ckpt), ckpt / "training_state.pt")
    for name in NEW_STATE:
        (ckpt / name).unlink()
    with pytest.raises(CheckpointError, match="training_state.pt is not listed in manifest.json"):
        load_training_state(ckpt)


def flip_a_byte_in_the_tensor_data(file) -> None:
    raw = bytearray(file.read_bytes())
    data_start = 8 + int.from_bytes(raw[:8], "little")  # u64 header length, JSON header, then data
    raw[(data_start + len(raw)) // 2] ^= 0x01
    file.write_bytes(bytes(raw))


def test_a_bit_flip_in_the_weights_is_detected(run_copy, capsys):
    from safetensors.torch import load_file

    run, _ = run_copy
    weights = last_checkpoint(run) / "model.safetensors"
    flip_a_byte_in_the_tensor_data(weights)
    load_file(str(weights))  # safetensors alone would not notice
    with pytest.raises(CheckpointError, match="model.safetensors does not match its checksum") as info:
        load_checkpoint(run)
    assert "corrupt or was modified" in str(info.value)
    assert main(["eval", f"checkpoint={run}"]) == 2
    assert "model.safetensors does not match its checksum" in one_line_error(capsys)


def test_a_corrupt_training_state_stops_the_resume(run_copy, capsys):
    run, train = run_copy
    flip_a_byte_in_the_tensor_data(last_checkpoint(run) / "training_state.safetensors")
    assert main([*train, "steps=30", "--resume"]) == 2
    assert "training_state.safetensors does not match its checksum" in one_line_error(capsys)


def test_a_checkpoint_without_manifest_loads_unchecked(run_copy):
    run, _ = run_copy
    ckpt = last_checkpoint(run)
    (ckpt / MANIFEST).unlink()
    model, pre, _ = load_checkpoint(ckpt)
    assert pre["step"] == 20 and load_training_state(ckpt)["step"] == 20


def test_the_resumable_step_is_read_from_either_layout(run_copy):
    run, _ = run_copy
    ckpt = last_checkpoint(run)
    assert has_training_state(ckpt) and checkpoint_step(ckpt) == 20
    for name in NEW_STATE:
        (ckpt / name).unlink()
    assert not has_training_state(ckpt) and checkpoint_step(ckpt) is None


def _edit_preprocess(**changes):
    def edit(ckpt):
        pre = json.loads((ckpt / "preprocess.json").read_text())
        for k, v in changes.items():
            if v is None:
                del pre[k]
            else:
                pre[k] = v
        (ckpt / "preprocess.json").write_text(json.dumps(pre))

    return edit


def _write(name, text):
    return lambda ckpt: (ckpt / name).write_text(text)


MALFORMED = {
    "yaml": (_write("config.yaml", "model: [unclosed"), "config.yaml is not valid YAML"),
    "not-a-mapping": (_write("config.yaml", "- model\n- optim\n"), "config.yaml holds a list, not a mapping"),
    "no-model": (_write("config.yaml", yaml.safe_dump({"steps": 3})), "config.yaml has no 'model' section"),
    "json": (_write("preprocess.json", "{not json"), "preprocess.json is not valid JSON"),
    "json-list": (_write("preprocess.json", "[1, 2]"), "preprocess.json holds a JSON list"),
    "missing": (
        _edit_preprocess(num_hist=None, action_high=None),
        "preprocess.json is missing num_hist, action_high",
    ),
    "type": (_edit_preprocess(image_size="big"), "preprocess.json: image_size must be [height, width]"),
    "bounds": (_edit_preprocess(action_low=[-1.0]), "action_low has 1 values, but action_dim is 2"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_checkpoint_stops_with_one_line(run, tmp_path, capsys, case):
    edit, message = MALFORMED[case]
    ckpt = tmp_path / "ckpt"
    shutil.copytree(last_checkpoint(run[2]), ckpt)
    edit(ckpt)
    write_manifest(ckpt)  # as written: the checksums match, the content is wrong
    assert main(["eval", f"checkpoint={ckpt}"]) == 2
    err = one_line_error(capsys)
    assert message in err and str(ckpt) in err


def test_resume_refuses_other_data_and_keeps_its_split(run, tmp_path, capsys):
    """A resumed run continues on the data it trained on: another env or frame size is refused,
    and episodes added to the dataset since are never trained on (they may have been held out)."""
    import json
    import shutil

    from worldjepa.cli import main

    root, data, out, _, train = run
    copy = tmp_path / "run"
    shutil.copytree(out, copy)
    args = [a for a in train if not a.startswith(("out=", "data.path="))] + [f"out={copy}", "--resume"]
    other = tmp_path / "reacher"
    assert main(["collect", "env=worldjepa/Reacher-v0", "episodes=2", "image_size=32", f"out={other}"]) == 0
    capsys.readouterr()
    assert main([*args, f"data.path={other}", "steps=22"]) == 2
    assert (
        "it trained with env worldjepa/TwoRoom-v0, this run has worldjepa/Reacher-v0"
        in capsys.readouterr().err
    )
    grown = tmp_path / "grown"
    shutil.copytree(data, grown)
    assert main(["collect", "episodes=3", "image_size=32", f"out={grown}", "mode=append", "seed=9"]) == 0
    before = json.loads((last_checkpoint(copy) / "preprocess.json").read_text())
    assert main([*args, f"data.path={grown}", "steps=22"]) == 0
    after = json.loads((last_checkpoint(copy) / "preprocess.json").read_text())
    assert after["step"] == 22
    assert (after["train_episodes"], after["val_episodes"]) == (
        before["train_episodes"],
        before["val_episodes"],
    )
