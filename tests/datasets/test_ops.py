"""merge / split / compact, datasets without proprio, and compaction under a reader's feet."""

from __future__ import annotations

import lance
import numpy as np
import pytest
from datasets_synth import HW, episode_arrays, write_synthetic, writer_kwargs

from worldjepa.cli import main
from worldjepa.datasets import DatasetWriter, WindowDataset, open_dataset, split_episodes
from worldjepa.datasets.ops import compact, merge, split
from worldjepa.errors import DatasetError


def test_merge_renumbers_keeps_content_and_recomputes_stats(toy_root, tmp_path):
    other = tmp_path / "other"
    write_synthetic(other, [5, 9])
    out = merge([toy_root, other], tmp_path / "merged", progress=False)
    ds, a, b = open_dataset(out), open_dataset(toy_root), open_dataset(other)
    assert ds.episode_ids.tolist() == list(range(6))
    assert ds.episode_lengths.tolist() == a.episode_lengths.tolist() + b.episode_lengths.tolist()
    assert np.array_equal(ds.read_episode(5)["pixels"], b.read_episode(1)["pixels"])
    assert [e["seed"] for e in ds.episodes] == [e["seed"] for e in a.episodes + b.episodes]
    assert ds.stats["num_steps"] == 42 + 14 and ds.meta["extra"]["merged_from"] == [str(toy_root), str(other)]


def test_merge_refuses_incompatible_datasets(toy_root, tmp_path):
    other = tmp_path / "bigger"
    with DatasetWriter(other, **writer_kwargs(image_size=(HW * 2, HW * 2))) as w:
        w.add_episode(np.zeros((3, HW * 2, HW * 2, 3), np.uint8), np.zeros((3, 2)), np.zeros((3, 3)),
                      np.zeros((3, 2)), np.zeros(3, bool), seed=0, factors={})  # fmt: skip
    with pytest.raises(DatasetError, match=r"image_size is \(32, 32\) there but \(16, 16\) here"):
        merge([toy_root, other], tmp_path / "m", progress=False)
    with pytest.raises(DatasetError, match="at least 2 datasets"):
        merge([toy_root], tmp_path / "m", progress=False)


def test_split_is_by_episode_and_matches_training_split(toy_root, tmp_path):
    train, val = split(toy_root, tmp_path / "sp", val_fraction=0.25, seed=3, progress=False)
    want_train, want_val = split_episodes(open_dataset(toy_root).episode_ids, 0.25, 3)
    src = open_dataset(toy_root)
    for path, ids in ((train, want_train), (val, want_val)):
        ds = open_dataset(path)
        assert ds.episode_lengths.tolist() == [int(src.episode_lengths[src._pos[int(e)]]) for e in ids]
        for new, old in enumerate(ids):
            assert np.array_equal(ds.read_episode(new)["pixels"], src.read_episode(int(old))["pixels"])
    assert open_dataset(train).num_episodes + open_dataset(val).num_episodes == src.num_episodes
    assert main(["data", "split", str(toy_root)]) == 2  # out= is required


def test_compact_merges_fragments_keeps_every_row(toy_root):
    steps = lance.dataset(str(toy_root / "steps.lance"))
    before = steps.to_table().to_pydict()
    # the fixture's writer compacted on close; two uncompacted appends make fragments again
    for _ in range(2):
        w = DatasetWriter(toy_root, mode="append", **writer_kwargs())
        w.add_episode(**episode_arrays(w.next_episode_idx, 2), seed=0, factors={})
        w.close(compact=False)
    assert len(lance.dataset(str(toy_root / "steps.lance")).get_fragments()) > 1
    frames = open_dataset(toy_root).take_frames(np.arange(42))
    compact(toy_root)
    steps = lance.dataset(str(toy_root / "steps.lance"))
    assert len(steps.get_fragments()) == 1
    assert steps.to_table().slice(0, 42).to_pydict() == before
    assert np.array_equal(open_dataset(toy_root).take_frames(np.arange(42)), frames)
    assert len(list((toy_root / "steps.lance" / "data").iterdir())) == 1  # old files cleaned up


def test_reader_opened_before_compaction_still_reads(tmp_path):
    root = tmp_path / "d"
    with DatasetWriter(root, **writer_kwargs()) as w:
        for e in range(3):
            w.add_episode(**episode_arrays(e, 5), seed=e, factors={})
            w.commit()
        ds = open_dataset(root)
        ds.take_frames(np.array([0]))  # holds a handle on the 3-fragment version
    # leaving the block compacted and deleted the files that handle points at
    assert np.array_equal(ds.take_frames(np.array([14]))[0], episode_arrays(2, 5)["pixels"][4])


def test_dataset_without_proprio_trains_the_same_way(tmp_path):
    root = tmp_path / "np"
    with DatasetWriter(root, **writer_kwargs(proprio_dim=0, state_names=[])) as w:
        for e in range(2):
            arr = episode_arrays(e, 8)
            w.add_episode(arr["pixels"], arr["action"], None, None, arr["is_success"], seed=e, factors={})
    ds = open_dataset(root)
    assert "proprio" not in lance.dataset(str(root / "steps.lance")).schema.names
    assert ds.read_episode(1)["proprio"].shape == (8, 0) and ds.stats["proprio"]["count"] == 16
    batch = WindowDataset(root, 2, 2, columns=("pixels", "action", "proprio")).__getitems__([0, 3])
    assert batch["pixels"].shape == (2, 2, 3, HW, HW) and batch["proprio"].shape == (2, 2, 0)
