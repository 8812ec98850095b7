"""`collect`: parallel recording (AsyncVectorEnv workers) records exactly what one env records."""

import numpy as np
import pytest

from worldjepa.collection import CollectConfig, collect
from worldjepa.datasets import open_dataset
from worldjepa.errors import ConfigError


def _record(tmp_path, name: str, **kw):
    cfg = CollectConfig(
        image_size=16, episodes=4, out=str(tmp_path / name), commit_every=2, factors="train", **kw
    )
    return open_dataset(collect(cfg))


@pytest.mark.parametrize("env", ["worldjepa/TwoRoom-v0", "worldjepa/Reacher-v0"])
def test_vector_collect_matches_sequential(tmp_path, env):
    one = _record(tmp_path, "one", env=env)
    # 4 episodes on 3 workers: a full round, then a short one (2 surplus envs run unrecorded).
    two = _record(tmp_path, "two", env=env, num_envs=3)
    assert one.num_episodes == two.num_episodes == 4
    assert [e["seed"] for e in one.episodes] == [e["seed"] for e in two.episodes]
    assert [e["factors"] for e in one.episodes] == [e["factors"] for e in two.episodes]
    for ep in range(4):
        a, b = one.read_episode(ep), two.read_episode(ep)
        assert set(a) == set(b)
        for key in a:
            assert np.array_equal(a[key], b[key]), (ep, key)


def test_bad_num_envs():
    with pytest.raises(ConfigError, match="num_envs"):
        CollectConfig(num_envs=0)
