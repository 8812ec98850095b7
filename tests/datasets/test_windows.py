"""WindowDataset contents, batching, the DataLoader and split_episodes."""

import pickle

import numpy as np
import pytest
import torch
from datasets_synth import HW, action, frame, proprio, state
from tensordict import TensorDict

from worldjepa.datasets import RolloutDataset, WindowDataset, infinite_batches, make_loader, split_episodes

LENGTHS = [12, 7, 20, 3]
ALL = ("pixels", "action", "proprio", "state")


def expected_windows(num_steps, fs, lengths=LENGTHS, episodes=None):
    return [
        (e, t)
        for e, n in enumerate(lengths)
        if episodes is None or e in episodes
        for t in range(n - num_steps * fs + 1)
    ]


@pytest.mark.parametrize("num_steps,fs", [(4, 1), (3, 3), (2, 5)])
def test_windows_exact_frames_and_action_blocks(toy_root, num_steps, fs):
    ds = WindowDataset(toy_root, num_steps=num_steps, frameskip=fs, columns=ALL)
    want = expected_windows(num_steps, fs)
    assert len(ds) == len(want)
    for i, (e, t) in enumerate(want):
        item = ds[i]
        assert isinstance(item, TensorDict) and item.batch_size == torch.Size([])
        assert int(item["episode_idx"]) == e and int(item["start"]) == t
        assert item["pixels"].shape == (num_steps, 3, HW, HW) and item["pixels"].dtype == torch.uint8
        assert item["action"].shape == (num_steps, fs * 2) and item["action"].dtype == torch.float32
        for k in range(num_steps):
            step = t + k * fs
            assert step < LENGTHS[e]  # never crosses into the next episode
            np.testing.assert_array_equal(item["pixels"][k].permute(1, 2, 0).numpy(), frame(e, step))
            block = np.concatenate([action(e, step + j) for j in range(fs)])  # step-major
            np.testing.assert_array_equal(item["action"][k].numpy(), block)
            np.testing.assert_array_equal(item["proprio"][k].numpy(), proprio(e, step))
            np.testing.assert_array_equal(item["state"][k].numpy(), state(e, step))


def test_getitems_equals_stacked_getitem(toy_root):
    ds = WindowDataset(toy_root, num_steps=3, frameskip=2, columns=ALL)
    idx = [5, 0, len(ds) - 1, 5, 17]
    batch = ds.__getitems__(idx)
    assert batch.batch_size == torch.Size([5])
    stacked = torch.stack([ds[i] for i in idx])
    for key in ("pixels", "action", "proprio", "state", "episode_idx", "start"):
        assert torch.equal(batch[key], stacked[key]), key


def test_only_kept_frames_read_in_one_take(toy_root, monkeypatch):
    calls = []
    real_take_frames, real_take = RolloutDataset.take_unique_frames, RolloutDataset._take

    def spy_frames(self, rows):
        calls.append(np.asarray(rows).copy())
        return real_take_frames(self, rows)

    lance_takes = []

    def spy_take(self, rows, columns):
        lance_takes.append((len(rows), tuple(columns)))
        return real_take(self, rows, columns)

    monkeypatch.setattr(RolloutDataset, "take_unique_frames", spy_frames)
    monkeypatch.setattr(RolloutDataset, "_take", spy_take)
    ds = WindowDataset(toy_root, num_steps=3, frameskip=3, columns=ALL)
    idx = [0, 1, 4, 2]  # episode 0 starts 0..3, then episode 2
    ds.__getitems__(idx)
    want = expected_windows(3, 3)
    starts_rows = {0: 0, 2: 19}
    expected_rows = [starts_rows[e] + t + 3 * k for e, t in (want[i] for i in idx) for k in range(3)]
    assert len(calls) == 1 and calls[0].tolist() == expected_rows
    assert len(lance_takes) == 1 and lance_takes[0][1] == ("pixels",)
    assert lance_takes[0][0] == len(set(expected_rows))  # skipped frames never read, duplicates once


def test_episode_subset_and_pickling(toy_root):
    ds = WindowDataset(toy_root, num_steps=2, frameskip=1, episodes=[2, 1])
    assert set(ds.__getitems__(list(range(len(ds))))["episode_idx"].tolist()) == {1, 2}
    assert len(ds) == len(expected_windows(2, 1, episodes={1, 2}))
    ds[0]  # opens the Lance handle
    clone = pickle.loads(pickle.dumps(ds))
    assert clone._reader is None and clone.reader.steps is not None
    assert torch.equal(clone[3]["pixels"], ds[3]["pixels"])
    reader = pickle.loads(pickle.dumps(ds.reader))
    assert reader._steps is None and reader.take_frames(np.array([0])).shape == (1, HW, HW, 3)


def _batches(loader, n):
    it = infinite_batches(loader)
    return [next(it) for _ in range(n)]


@pytest.mark.parametrize("workers", ["thread", "process"])
def test_loader_same_batches_with_workers(toy_root, workers):
    ds = WindowDataset(toy_root, num_steps=2, frameskip=2, columns=("pixels", "action", "state"))
    n = len(ds) // 4 + 2  # crosses an epoch boundary
    ref = _batches(make_loader(ds, 4, seed=7), n)
    multi = make_loader(ds, 4, seed=7, num_workers=2, workers=workers)
    if workers == "process":
        assert multi.multiprocessing_context.get_start_method() == "forkserver"
    got = _batches(multi, n)
    assert all(b.batch_size == torch.Size([4]) for b in got)
    for a, b in zip(ref, got, strict=True):
        assert (a == b).all()
    other = _batches(make_loader(ds, 4, seed=8), n)
    assert not all(torch.equal(a["start"], b["start"]) for a, b in zip(ref, other, strict=True))
    assert _batches(make_loader(ds, 4, shuffle=False), 1)[0]["start"].tolist() == [0, 1, 2, 3]


def test_split_episodes():
    ids = np.arange(10, 30)
    train, val = split_episodes(ids[::-1], 0.2, seed=3)
    assert len(val) == 4 and len(train) == 16
    assert np.intersect1d(train, val).size == 0 and np.array_equal(np.union1d(train, val), ids)
    assert np.array_equal(train, np.sort(train)) and train.dtype == np.int64
    t2, v2 = split_episodes(ids, 0.2, seed=3)
    assert np.array_equal(train, t2) and np.array_equal(val, v2)  # deterministic, order-independent
    assert not np.array_equal(split_episodes(ids, 0.2, seed=4)[1], val)
    assert len(split_episodes(np.arange(3), 0.01, seed=0)[1]) == 1
    assert len(split_episodes(np.arange(3), 0.0, seed=0)[1]) == 0
