"""Every malformed input raises DatasetError with a message that names the problem and the fix."""

import os
import shutil
import subprocess
import sys

import lance
import numpy as np
import pyarrow as pa
import pytest
from datasets_synth import episode_arrays, write_synthetic, writer_kwargs

from worldjepa.datasets import DatasetWriter, WindowDataset, make_loader, open_dataset, split_episodes
from worldjepa.datasets import schema as S
from worldjepa.errors import DatasetError


def test_import_is_light():
    code = "import sys, worldjepa.datasets; print('torch' in sys.modules, 'lance' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


# ------------------------------------------------------------------ open_dataset
def test_missing_path(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        open_dataset(tmp_path / "nope")


@pytest.mark.parametrize("kind", ["file", "empty_dir"])
def test_not_a_dataset(tmp_path, kind):
    path = tmp_path / "x"
    path.write_text("hi") if kind == "file" else path.mkdir()
    with pytest.raises(
        DatasetError, match=r"is not a worldjepa dataset \(no steps.lance\).*worldjepa collect"
    ):
        open_dataset(path)


def test_missing_column_lists_found(toy_root):
    path = str(toy_root / "steps.lance")
    table = lance.dataset(path).to_table().drop_columns(["proprio"])
    lance.write_dataset(table, path, mode="overwrite")
    with pytest.raises(
        DatasetError, match=r"no 'proprio' column \(found: episode_idx, step_idx, pixels, action"
    ):
        open_dataset(toy_root)


def test_no_metadata(toy_root):
    path = str(toy_root / "steps.lance")
    table = lance.dataset(path).to_table()
    lance.write_dataset(table.replace_schema_metadata({}), path, mode="overwrite")
    with pytest.raises(DatasetError, match="no worldjepa metadata"):
        open_dataset(toy_root)


def test_zero_episodes(toy_root):
    lance.write_dataset(S.episodes_schema().empty_table(), str(toy_root / "episodes.lance"), mode="overwrite")
    with pytest.raises(DatasetError, match="0 committed episodes"):
        open_dataset(toy_root)


def test_corrupt_manifest(toy_root):
    versions = toy_root / "episodes.lance" / "_versions"
    for f in os.listdir(versions):
        (versions / f).write_bytes(b"garbage")
    with pytest.raises(DatasetError, match="episodes.lance"):
        open_dataset(toy_root)


def test_corrupt_data_files(toy_root):
    data = toy_root / "steps.lance" / "data"
    for f in os.listdir(data):
        (data / f).write_bytes(b"garbage")
    with pytest.raises(DatasetError, match="steps.lance.*re-record"):
        open_dataset(toy_root).read_episode(0)


def test_missing_stats(toy_root):
    os.remove(toy_root / "stats.json")
    with pytest.raises(DatasetError, match="stats.json is missing.*recompute_stats"):
        _ = open_dataset(toy_root).stats


def test_reader_bad_requests(toy_root):
    ds = open_dataset(toy_root)
    with pytest.raises(DatasetError, match=r"episode 9 is not in .* ids 0..3"):
        ds.read_episode(9)
    with pytest.raises(DatasetError, match="unknown column.*'rgb'.*available: pixels"):
        ds.read_episode(0, columns=["rgb"])


# ------------------------------------------------------------------ DatasetWriter
def test_create_over_existing(toy_root):
    with pytest.raises(DatasetError, match="already holds a dataset; write to another path"):
        DatasetWriter(toy_root, **writer_kwargs())


@pytest.mark.parametrize(
    "key,value",
    [("env_id", "Other-v0"), ("image_size", (32, 32)), ("action_low", [-1.0] * 3), ("state_names", ["x"])],
)
def test_append_mismatch_names_it(toy_root, key, value):
    kw = writer_kwargs(**{key: value})
    if key == "action_low":
        kw["action_high"] = [1.0] * 3
        key = "action_dim"
    with pytest.raises(DatasetError, match=f"cannot append .*: {key} is"):
        DatasetWriter(toy_root, mode="append", **kw)


def test_append_without_dataset_and_bad_mode(tmp_path):
    with pytest.raises(DatasetError, match="no dataset to append to.*mode='create'"):
        DatasetWriter(tmp_path / "new", mode="append", **writer_kwargs())
    with pytest.raises(DatasetError, match="unknown mode 'w'"):
        DatasetWriter(tmp_path / "new", mode="w", **writer_kwargs())


@pytest.mark.parametrize(
    "kw,match",
    [
        ({"state_names": ["a.b"]}, "state name 'a.b'"),
        ({"state_names": ["a", "a"]}, "unique"),
        ({"action_high": [1.0]}, "equal-length"),
        ({"proprio_dim": -1}, "proprio_dim must be >= 0"),
        ({"image_size": (16,)}, r"image_size must be \(H, W\)"),
        ({"extra": {"f": object()}}, "extra must be JSON-serialisable"),
    ],
)
def test_writer_bad_config(tmp_path, kw, match):
    with pytest.raises(DatasetError, match=match):
        DatasetWriter(tmp_path / "d", **writer_kwargs(**kw))


def _bad(**over):
    ep = episode_arrays(0, 5) | {"seed": 0, "factors": {}}
    ep.update(over)
    return ep


@pytest.mark.parametrize(
    "over,match",
    [
        ({"pixels": np.zeros((5, 16, 16, 3), np.float32)}, r"pixels must be uint8 \(L, 16, 16, 3\).*float32"),
        ({"pixels": np.zeros((5, 32, 32, 3), np.uint8)}, r"pixels must be uint8.*\(5, 32, 32, 3\)"),
        ({"pixels": np.zeros((0, 16, 16, 3), np.uint8)}, "L >= 1"),
        ({"action": np.zeros((5, 3), np.float32)}, r"action must be a float array of shape \(5, 2\)"),
        ({"action": np.full((5, 2), np.nan, np.float32)}, "action has a NaN or inf at step 0"),
        ({"proprio": np.zeros((4, 3))}, r"proprio must be .* \(5, 3\)"),
        ({"state": np.zeros((5, 1))}, r"state must be .* \(5, 2\)"),
        ({"is_success": np.zeros(4, bool)}, r"is_success must be bool \(5,\)"),
        ({"factors": [1, 2]}, "factors must be a dict"),
        ({"factors": {"f": object()}}, "factors must be JSON-serialisable"),
        ({"seed": "abc"}, "seed must be an int"),
    ],
)
def test_add_episode_validation(tmp_path, over, match):
    w = DatasetWriter(tmp_path / "d", **writer_kwargs())
    with pytest.raises(DatasetError, match=match):
        w.add_episode(**_bad(**over))
    assert w.num_pending == 0


def test_closed_writer(tmp_path):
    w = DatasetWriter(tmp_path / "d", **writer_kwargs())
    w.close()
    with pytest.raises(DatasetError, match="closed"):
        w.add_episode(**_bad())
    assert not (tmp_path / "d" / "steps.lance").exists()


# ------------------------------------------------------------------ windows / loader / split
def test_window_errors(toy_root):
    with pytest.raises(
        DatasetError,
        match=r"no episode .* long enough for num_steps=5 x frameskip=5 = 25 steps \(longest selected: 20\)",
    ):
        WindowDataset(toy_root, num_steps=5, frameskip=5)
    with pytest.raises(DatasetError, match=r"episodes \[7\] are not in"):
        WindowDataset(toy_root, num_steps=2, episodes=[0, 7])
    with pytest.raises(DatasetError, match="unknown column.*'rgb'"):
        WindowDataset(toy_root, num_steps=2, columns=("rgb",))
    with pytest.raises(DatasetError, match="num_steps and frameskip must be >= 1"):
        WindowDataset(toy_root, num_steps=0)
    ds = WindowDataset(toy_root, num_steps=2, frameskip=5, episodes=[0])
    with pytest.raises(DatasetError, match="fewer than batch_size=64.*drop_last=False"):
        make_loader(ds, 64)
    with pytest.raises(IndexError):
        ds[len(ds)]


def test_split_errors():
    with pytest.raises(DatasetError, match="record at least 2"):
        split_episodes([3], 0.5, seed=0)
    with pytest.raises(DatasetError, match=r"val_fraction must be in \[0, 1\)"):
        split_episodes([1, 2, 3], 1.0, seed=0)


def test_window_dataset_errors_do_not_leak_lance(tmp_path):
    root = tmp_path / "d"
    write_synthetic(root, [6])
    shutil.rmtree(root / "steps.lance")
    with pytest.raises(DatasetError, match="no steps.lance"):
        WindowDataset(root, num_steps=2)
    lance.write_dataset(pa.table({"a": [1]}), str(root / "steps.lance"))
    with pytest.raises(DatasetError, match="no worldjepa metadata"):
        WindowDataset(root, num_steps=2)
