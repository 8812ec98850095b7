"""Batches of whole episodes (``StepBatches(groups=..., per_group=k)``): every batch is whole
groups of k windows, a pure function of (seed, batch number, rank), split across ranks."""

import numpy as np
import pytest

from worldjepa.datasets.sampler import StepBatches

GROUPS = np.repeat(np.arange(12), [9, 5, 7, 3, 8, 8, 6, 2, 9, 4, 5, 7])  # 12 episodes, uneven


def test_each_batch_is_whole_episodes_of_k_windows():
    s = StepBatches(len(GROUPS), 8, seed=3, groups=GROUPS, per_group=4)
    assert len(s) == 12 // 2
    seen = []
    for batch in s:
        eps = GROUPS[batch].reshape(2, 4)
        assert (eps == eps[:, :1]).all() and eps[0, 0] != eps[1, 0]
        for row, e in zip(np.reshape(batch, (2, 4)), eps[:, 0], strict=True):
            if (GROUPS == e).sum() >= 4:
                assert len(set(row.tolist())) == 4  # without replacement where it can
        seen += eps[:, 0].tolist()
    assert sorted(seen) == list(range(12))  # an epoch is a permutation of the episodes


def test_ranks_split_the_one_process_batch_and_resume_where_it_stopped():
    one = StepBatches(len(GROUPS), 8, seed=1, groups=GROUPS, per_group=4)
    ranks = [StepBatches(len(GROUPS), 4, seed=1, groups=GROUPS, per_group=4, world=2, rank=r) for r in (0, 1)]
    for k in range(9):  # across an epoch boundary
        assert ranks[0].batch(k) + ranks[1].batch(k) == one.batch(k)
    later = StepBatches(len(GROUPS), 8, seed=1, groups=GROUPS, per_group=4, start=4)
    assert next(iter(later)) == one.batch(4)


def test_a_batch_that_is_not_whole_groups_is_refused():
    with pytest.raises(ValueError, match="multiple of per_group=3"):
        StepBatches(len(GROUPS), 8, groups=GROUPS, per_group=3)
