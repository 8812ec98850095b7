"""DatasetWriter -> open_dataset round trips, append mode, crash safety and stats.json."""

import json
import os
import signal
import subprocess
import sys
import time

import lance
import numpy as np
import pyarrow as pa
import pytest
from datasets_synth import HW, STATE_NAMES, episode_arrays, frame, write_synthetic, writer_kwargs

import worldjepa
from worldjepa.datasets import DatasetWriter, open_dataset, recompute_stats
from worldjepa.errors import DatasetError


def test_round_trip_per_episode(toy_root):
    ds = open_dataset(toy_root)
    assert ds.num_episodes == 4 and ds.num_steps == 12 + 7 + 20 + 3
    assert ds.episode_ids.tolist() == [0, 1, 2, 3] and ds.episode_ids.dtype == np.int64
    assert ds.image_size == (HW, HW) and ds.action_dim == 2 and ds.state_names == STATE_NAMES
    for e, length in zip(ds.episode_ids, [12, 7, 20, 3], strict=True):
        got, want = ds.read_episode(e), episode_arrays(int(e), length)
        for key in ("pixels", "action", "proprio", "state", "is_success"):
            assert got[key].dtype == want[key].dtype, key
            np.testing.assert_array_equal(got[key], want[key], err_msg=key)
        np.testing.assert_array_equal(got["step_idx"], np.arange(length))
    only = ds.read_episode(2, columns=["action"])
    assert set(only) == {"action"} and only["action"].shape == (20, 2)


def test_metadata_and_episodes_table(toy_root):
    ds = open_dataset(toy_root)
    meta = ds.meta
    assert meta["env_id"] == "Toy-v0" and tuple(meta["image_size"]) == (HW, HW)
    assert meta["action_low"] == [-1.0, -1.0] and meta["action_high"] == [1.0, 1.0]
    assert meta["state_names"] == STATE_NAMES and meta["proprio_dim"] == 3 and meta["action_dim"] == 2
    assert meta["fps"] == 10.0 and meta["worldjepa_version"] == worldjepa.__version__
    assert meta["extra"] == {"note": "test"}
    eps = ds.episodes
    assert [r["episode_idx"] for r in eps] == [0, 1, 2, 3]
    assert [r["start_row"] for r in eps] == [0, 12, 19, 39]
    assert [r["length"] for r in eps] == [12, 7, 20, 3]
    assert [r["success"] for r in eps] == [True, False, True, False]
    assert (
        eps[2]["factors"] == {"mass": 2.0, "i": 2} and eps[2]["seed"] == 1002 and eps[2]["env_id"] == "Toy-v0"
    )
    steps = lance.dataset(str(toy_root / "steps.lance"))
    schema = steps.schema
    # Raw frames in a lz4-compressed large_binary column of a Lance 2.1 file (lossless).
    assert schema.field("pixels").type == pa.large_binary() and steps.data_storage_version == "2.1"
    assert schema.field("pixels").metadata[b"lance-encoding:compression"] == b"lz4"
    assert schema.field("action").type == pa.list_(pa.float32(), 2)
    assert schema.field("state_x").type == pa.float32()


def test_take_frames_one_batch_any_order(toy_root):
    ds = open_dataset(toy_root)
    rows = np.array([39, 0, 12, 12, 20])  # ep3 t0, ep0 t0, ep1 t0 twice, ep2 t1
    frames = ds.take_frames(rows)
    assert frames.shape == (5, HW, HW, 3) and frames.dtype == np.uint8
    for f, (e, t) in zip(frames, [(3, 0), (0, 0), (1, 0), (1, 0), (2, 1)], strict=True):
        np.testing.assert_array_equal(f, frame(e, t))


def test_stats_json_matches_numpy(toy_root):
    ds = open_dataset(toy_root)
    lengths = [12, 7, 20, 3]
    eps = [episode_arrays(e, n) for e, n in enumerate(lengths)]
    on_disk = json.loads((toy_root / "stats.json").read_text())
    assert on_disk == ds.stats and on_disk["num_steps"] == sum(lengths) and on_disk["num_episodes"] == 4
    for col in ("action", "proprio", "state"):
        x = np.concatenate([ep[col] for ep in eps]).astype(np.float64)
        s = on_disk[col]
        np.testing.assert_allclose(s["mean"], x.mean(0), rtol=1e-6)
        np.testing.assert_allclose(s["std"], x.std(0), rtol=1e-6)
        np.testing.assert_allclose(s["min"], x.min(0))
        np.testing.assert_allclose(s["max"], x.max(0))
        np.testing.assert_allclose(s["p01"], np.quantile(x, 0.01, axis=0), rtol=1e-6)
        np.testing.assert_allclose(s["p99"], np.quantile(x, 0.99, axis=0), rtol=1e-6)
        assert s["count"] == sum(lengths)
    os.remove(toy_root / "stats.json")
    assert recompute_stats(toy_root) == on_disk


def test_append_continues_numbering_and_stats(toy_root):
    assert write_synthetic(toy_root, [5, 9], mode="append") == [4, 5]
    ds = open_dataset(toy_root)
    assert ds.episode_ids.tolist() == [0, 1, 2, 3, 4, 5]
    np.testing.assert_array_equal(ds.read_episode(5)["pixels"], episode_arrays(5, 9)["pixels"])
    np.testing.assert_array_equal(ds.read_episode(2)["action"], episode_arrays(2, 20)["action"])
    assert ds.stats["num_steps"] == 42 + 14 and ds.stats["action"]["count"] == 56


def test_crash_between_steps_and_episodes_hides_partial_episode(toy_root, monkeypatch):
    real_write = DatasetWriter._write

    def crash_on_episodes(self, table, path):
        if path.name == "episodes.lance":
            raise OSError("simulated crash")
        return real_write(self, table, path)

    w = DatasetWriter(toy_root, mode="append", **writer_kwargs())
    w.add_episode(**episode_arrays(4, 6), seed=0, factors={})
    monkeypatch.setattr(DatasetWriter, "_write", crash_on_episodes)
    with pytest.raises(DatasetError, match="previously committed episodes are intact"):
        w.commit()
    monkeypatch.undo()
    assert lance.dataset(str(toy_root / "steps.lance")).count_rows() == 42 + 6  # orphan steps exist
    ds = open_dataset(toy_root)
    assert ds.episode_ids.tolist() == [0, 1, 2, 3] and ds.num_steps == 42
    np.testing.assert_array_equal(ds.read_episode(3)["pixels"], episode_arrays(3, 3)["pixels"])

    # A later writer skips the orphaned id and places its rows after the orphans.
    assert write_synthetic(toy_root, [4], mode="append") == [5]
    ds = open_dataset(toy_root)
    assert ds.episode_ids.tolist() == [0, 1, 2, 3, 5] and ds.episodes[-1]["start_row"] == 48
    np.testing.assert_array_equal(ds.read_episode(5)["pixels"], episode_arrays(5, 4)["pixels"])
    assert ds.stats["num_steps"] == 46


def test_crash_before_first_episodes_write_can_be_appended(tmp_path):
    root = tmp_path / "d"
    w = DatasetWriter(root, **writer_kwargs())
    w.add_episode(**episode_arrays(0, 5), seed=0, factors={})
    w._write(w._pending[0][0], root / "steps.lance")  # steps written, then "killed"
    with pytest.raises(DatasetError, match="no episodes.lance"):
        open_dataset(root)
    with pytest.raises(DatasetError, match="already holds a dataset; write to another path"):
        DatasetWriter(root, **writer_kwargs())
    assert write_synthetic(root, [3], mode="append") == [1]
    assert open_dataset(root).episode_ids.tolist() == [1]


KILL_SCRIPT = """
import sys
sys.path.insert(0, {here!r})
from datasets_synth import episode_arrays, writer_kwargs
from worldjepa.datasets import DatasetWriter
w = DatasetWriter({root!r}, **writer_kwargs())
e = 0
while True:
    w.add_episode(**episode_arrays(e, 30 + e % 7), seed=e, factors={{}})
    w.commit()
    e += 1
"""


def test_kill_9_mid_write_keeps_committed_episodes_readable(tmp_path):
    root = tmp_path / "killed"
    script = KILL_SCRIPT.format(here=os.path.dirname(__file__), root=str(root))
    proc = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.time() + 20
    while time.time() < deadline and not (root / "stats.json").exists():
        time.sleep(0.05)
    time.sleep(0.4)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    ds = open_dataset(root)
    assert ds.num_episodes >= 1
    for e, n in zip(ds.episode_ids, ds.episode_lengths, strict=True):
        assert n == 30 + e % 7
        np.testing.assert_array_equal(ds.read_episode(e)["pixels"], episode_arrays(int(e), int(n))["pixels"])


def test_format_1_fixed_size_frames_still_decode():
    from worldjepa.datasets.schema import frames_to_numpy

    frames = np.arange(3 * 2 * 2 * 3, dtype=np.uint8).reshape(3, 2, 2, 3)
    col = pa.FixedSizeBinaryArray.from_buffers(pa.binary(12), 3, [None, pa.py_buffer(frames.tobytes())])
    assert np.array_equal(frames_to_numpy(col.slice(1), (2, 2)), frames[1:])
    big = pa.array([f.tobytes() for f in frames], pa.large_binary())
    assert np.array_equal(frames_to_numpy(big.slice(1), (2, 2)), frames[1:])
