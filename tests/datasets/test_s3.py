"""A dataset on S3-compatible object storage records, reads and trains the same way as a local
one. The S3 server is moto's, started by the test on 127.0.0.1 (nothing leaves the machine)."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch
from conftest import BUCKET  # noqa: F401  (the s3 fixtures live in conftest.py)
from datasets_synth import write_synthetic

from worldjepa.cli import main
from worldjepa.datasets import WindowDataset, make_loader, open_dataset
from worldjepa.datasets.storage import ObjectPath, location
from worldjepa.errors import DatasetError


def test_write_read_and_load_windows_like_a_local_dataset(s3, tmp_path):
    local, remote = tmp_path / "toy", f"{s3}/toy"
    write_synthetic(local, [12, 7, 20, 3], commit_every=2)
    write_synthetic(remote, [12, 7, 20, 3], commit_every=2)
    a, b = open_dataset(local), open_dataset(remote)
    assert isinstance(b.root, ObjectPath) and b.num_episodes == 4 and b.stats == a.stats
    for e in a.episode_ids:
        ea, eb = a.read_episode(e), b.read_episode(e)
        assert all(np.array_equal(ea[k], eb[k]) for k in ea)
    wa, wb = (WindowDataset(r, 2, 3, columns=("pixels", "action", "state")) for r in (local, remote))
    for x, y in zip(make_loader(wa, 4, seed=1), make_loader(wb, 4, seed=1, num_workers=2), strict=True):
        assert (x == y).all()


def test_missing_remote_dataset_is_named(s3):
    with pytest.raises(DatasetError, match=f"{s3}/nothing does not exist"):
        open_dataset(f"{s3}/nothing")
    with pytest.raises(DatasetError, match="unsupported storage scheme gs://"):
        location("gs://bucket/x")


def test_collect_and_train_from_s3_match_local(s3, tmp_path):
    tiny = ["+model.encoder_kwargs.channels=[8,8,8,8]", "+model.encoder_kwargs.bottleneck=8",
            "model.feature_dim=16", "model.latent_dim=8", "model.projector_hidden=16", "model.predictor_dim=16",
            "model.predictor_depth=1", "model.predictor_heads=2", "loss.num_proj=32", "data.batch_size=4",
            "steps=4", "log_every=1", "val_every=4", "ckpt_every=4"]  # fmt: skip
    losses = []
    for data in (tmp_path / "data", f"{s3}/data"):
        assert main(["collect", "episodes=4", "image_size=32", f"out={data}", "commit_every=2"]) == 0
        out = tmp_path / f"run{len(losses)}"
        assert main(["train", f"data.path={data}", f"out={out}", *tiny]) == 0
        with open(out / "metrics.csv") as f:
            losses.append([float(r["loss"]) for r in csv.DictReader(f) if r.get("loss")])
    assert len(losses[0]) == 4 and losses[0] == losses[1]
    assert np.array_equal(open_dataset(tmp_path / "data").take_frames(np.arange(30)),
                          open_dataset(f"{s3}/data").take_frames(np.arange(30)))  # fmt: skip
    torch.manual_seed(0)  # leave global RNG state tidy for later tests


def test_convert_merge_and_split_across_local_and_s3(s3, tmp_path):
    from worldjepa.datasets.formats import convert
    from worldjepa.datasets.ops import merge, split

    write_synthetic(f"{s3}/a", [6, 4, 5], commit_every=1)
    h5 = convert(f"{s3}/a", tmp_path / "a.h5", dst_format="hdf5", progress=False)
    back = convert(h5, f"{s3}/from_h5", progress=False)
    assert isinstance(back, ObjectPath) and open_dataset(back).episode_lengths.tolist() == [6, 4, 5]
    merged = merge([f"{s3}/a", back], f"{s3}/ab", progress=False)
    assert open_dataset(merged).num_episodes == 6
    train, val = split(merged, f"{s3}/ab_split", val_fraction=0.5, seed=0, progress=False)
    assert open_dataset(train).num_episodes + open_dataset(val).num_episodes == 6
    with pytest.raises(DatasetError, match="only worldjepa datasets live on object storage"):
        convert(f"{s3}/a", f"{s3}/x.h5", dst_format="hdf5", progress=False)
