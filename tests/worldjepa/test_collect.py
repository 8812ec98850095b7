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


def test_an_interrupted_recording_finished_with_append_equals_an_uninterrupted_one(tmp_path):
    """Appending skips the seeds a dataset holds: 3 + 2 appended episodes are the 5 of one run."""
    import numpy as np

    from worldjepa.collection import CollectConfig, collect
    from worldjepa.datasets import open_dataset

    base = dict(image_size=16, commit_every=1)
    collect(CollectConfig(episodes=5, out=str(tmp_path / "once"), **base))
    collect(CollectConfig(episodes=3, out=str(tmp_path / "split"), **base))
    collect(CollectConfig(episodes=2, out=str(tmp_path / "split"), mode="append", **base))
    once, split = open_dataset(tmp_path / "once"), open_dataset(tmp_path / "split")
    assert [e["seed"] for e in once.episodes] == [e["seed"] for e in split.episodes]
    for ep in range(5):
        assert np.array_equal(once.read_episode(ep, columns=["action"])["action"],
                              split.read_episode(ep, columns=["action"])["action"])  # fmt: skip
