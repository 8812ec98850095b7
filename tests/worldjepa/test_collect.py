"""`collect`: parallel recording (AsyncVectorEnv workers) records exactly what one env records."""

import numpy as np
import pytest

from worldjepa.collect import CollectConfig, collect, unbatch
from worldjepa.datasets import open_dataset
from worldjepa.errors import ConfigError


def _record(tmp_path, name: str, **kw):
    cfg = CollectConfig(
        image_size=16, episodes=3, out=str(tmp_path / name), commit_every=2, factors="train", **kw
    )
    return open_dataset(collect(cfg))


@pytest.mark.parametrize("env", ["worldjepa/TwoRoom-v0", "worldjepa/Reacher-v0"])
def test_vector_collect_matches_sequential(tmp_path, env):
    one = _record(tmp_path, "one", env=env)
    # 3 episodes on 2 workers: a full round, then a short one (a surplus env runs unrecorded).
    two = _record(tmp_path, "two", env=env, num_envs=2)
    assert one.num_episodes == two.num_episodes == 3
    assert [e["seed"] for e in one.episodes] == [e["seed"] for e in two.episodes]
    assert [e["factors"] for e in one.episodes] == [e["factors"] for e in two.episodes]
    for ep in range(3):
        a, b = one.read_episode(ep), two.read_episode(ep)
        assert set(a) == set(b)
        for key in a:
            assert np.array_equal(a[key], b[key]), (ep, key)


def test_unbatch_and_bad_num_envs():
    rgb = np.full(2, None, dtype=object)  # how gymnasium batches tuple-valued infos
    rgb[0], rgb[1] = (1, 0, 0), (0, 1, 0)
    infos = {"state": np.arange(6).reshape(2, 3), "_state": np.ones(2, bool),
             "factors": {"mass": np.array([0.5, 0.7]), "rgb": rgb}, "is_success": np.array([False, True])}  # fmt: skip
    one = unbatch(infos, 1)
    assert set(one) == {"state", "factors", "is_success"}
    assert one["state"].tolist() == [3, 4, 5] and one["is_success"] is True
    assert one["factors"] == {"mass": 0.7, "rgb": (0, 1, 0)}
    with pytest.raises(ConfigError, match="num_envs"):
        CollectConfig(num_envs=0)
