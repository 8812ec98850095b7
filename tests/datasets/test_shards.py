"""`collect shard=i/N`: N concurrent collectors append to one dataset, local or on S3, and give
exactly the dataset one collector records: disjoint seeds and ids, no commit lost."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from worldjepa.cli import main
from worldjepa.datasets import open_dataset

EPISODES = 10
ARGS = ["collect", f"episodes={EPISODES}", "image_size=32", "commit_every=1"]


def collectors(out, n, env=None, kill_one_after=None):
    """Start shard 0..n-1 of ``out`` at once; -> their exit codes (shard 0 killed with SIGKILL
    once it has committed ``kill_one_after`` episodes, if given)."""
    procs = [subprocess.Popen([sys.executable, "-m", "worldjepa", *ARGS, f"out={out}", f"shard={i}/{n}"],
                              env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) for i in range(n)]  # fmt: skip
    if kill_one_after is not None:
        deadline = time.time() + 120
        while time.time() < deadline and procs[0].poll() is None:
            try:
                if sum(e["seed"] % n == 0 for e in open_dataset(out).episodes) >= kill_one_after:
                    break
            except Exception:  # nothing committed yet
                pass
            time.sleep(0.02)
        procs[0].send_signal(signal.SIGKILL)
    codes = []
    for p in procs:
        _, err = p.communicate(timeout=300)
        codes.append((p.returncode, err[-2000:]))
    return codes


def same_episodes(a, b) -> None:
    """Two datasets hold the same episodes, seed by seed: frames, actions, states."""
    da, db = open_dataset(a), open_dataset(b)
    by_seed = {int(e["seed"]): e["episode_idx"] for e in db.episodes}
    assert sorted(by_seed) == sorted(int(e["seed"]) for e in da.episodes)
    for e in db.episodes:  # every episode row points at its own steps rows
        rows = db._steps.take(list(range(e["start_row"], e["start_row"] + e["length"])),
                              columns=["episode_idx", "step_idx"]).to_pydict()  # fmt: skip
        assert set(rows["episode_idx"]) == {e["episode_idx"]}, e
        assert rows["step_idx"] == list(range(e["length"])), e
    for e in da.episodes:
        x, y = da.read_episode(e["episode_idx"]), db.read_episode(by_seed[int(e["seed"])])
        np.testing.assert_array_equal(x["action"], y["action"], err_msg=f"seed {e['seed']}")
        for key in ("pixels", "action", "state"):
            np.testing.assert_array_equal(x[key], y[key])
    assert da.stats["num_steps"] == db.stats["num_steps"]
    np.testing.assert_allclose(da.stats["action"]["mean"], db.stats["action"]["mean"], rtol=1e-6)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    ref = tmp_path_factory.mktemp("ref") / "one"
    assert main([*ARGS, f"out={ref}"]) == 0
    return ref


def test_two_concurrent_shards_make_the_dataset_one_collector_makes(reference, tmp_path):
    out = tmp_path / "sharded"
    for rc, err in collectors(out, 2):
        assert rc == 0, err
    ds = open_dataset(out)
    assert ds.num_episodes == EPISODES
    seeds = [int(e["seed"]) for e in ds.episodes]
    assert len(set(seeds)) == EPISODES and sorted(ds.episode_ids.tolist()) == sorted(seeds)
    same_episodes(reference, out)


def test_a_killed_shard_run_again_records_only_what_it_missed(reference, tmp_path):
    out = tmp_path / "killed"
    codes = collectors(out, 2, kill_one_after=2)
    assert codes[0][0] == -signal.SIGKILL and codes[1][0] == 0, codes
    assert open_dataset(out).num_episodes < EPISODES
    assert main([*ARGS, f"out={out}", "shard=0/2"]) == 0
    assert open_dataset(out).num_episodes == EPISODES
    same_episodes(reference, out)


def test_two_concurrent_shards_on_s3(reference, s3):
    out = f"{s3}/sharded"
    for rc, err in collectors(out, 2):
        assert rc == 0, err
    assert open_dataset(out).num_episodes == EPISODES
    same_episodes(reference, out)
