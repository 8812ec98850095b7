"""Batches of training windows: ``make_loader(window_dataset, batch_size, num_workers=..., workers=...)``.

Every loader draws the same batches for a given seed, whatever its workers:

- ``num_workers=0``: a torch DataLoader that reads in the calling thread;
- ``workers="thread"`` (the default for ``num_workers > 0``): ``num_workers`` threads read the
  next batches ahead. Lance's ``take`` and the pixel gather release the GIL, so threads scale
  and, unlike processes, hand batches over without copying them through shared memory; 2
  threads read ~3x faster than 2 processes on a 2-core machine (benchmarks/loader_speed.py);
- ``workers="process"``: a torch DataLoader with forkserver worker processes (Lance is not
  fork-safe), each with its own Lance handle.
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from tensordict import TensorDict
from torch.utils.data import BatchSampler, DataLoader, SequentialSampler

from worldjepa.datasets.sampler import StepBatches
from worldjepa.datasets.windows import WindowDataset
from worldjepa.errors import DatasetError

WORKER_KINDS = ("thread", "process")


class ThreadLoader:
    """Iterates ``batch_sampler``'s batches of ``dataset``, read by ``num_workers`` threads.

    Up to ``prefetch`` batches are read ahead, and batches come out in sampler order.
    Yields TensorDicts with batch_size [B]; iterating again starts the next epoch.
    """

    def __init__(self, dataset: WindowDataset, batch_sampler, num_workers: int, pin_memory: bool = False):
        self.dataset, self.batch_sampler = dataset, batch_sampler
        self.num_workers, self.pin_memory = num_workers, pin_memory
        self.prefetch = 2 * num_workers

    def __len__(self) -> int:
        return len(self.batch_sampler)

    def __iter__(self) -> Iterator[TensorDict]:
        batches = iter(self.batch_sampler)
        pool = ThreadPoolExecutor(self.num_workers, thread_name_prefix="worldjepa-loader")
        try:
            pending = deque(pool.submit(self.dataset.__getitems__, idx)
                            for idx in itertools.islice(batches, self.prefetch))  # fmt: skip
            while pending:
                batch = pending.popleft().result()
                nxt = next(batches, None)
                if nxt is not None:
                    pending.append(pool.submit(self.dataset.__getitems__, nxt))
                yield batch.pin_memory() if self.pin_memory else batch
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _keep_batch(batch: TensorDict) -> TensorDict:
    return batch


def make_loader(
    ds: WindowDataset,
    batch_size: int,
    *,
    shuffle: bool = True,
    num_workers: int = 0,
    workers: str = "thread",
    seed: int = 0,
    drop_last: bool = True,
    pin_memory: bool = False,
    rank: int = 0,
    world: int = 1,
    start: int = 0,
    per_episode: int = 1,
) -> DataLoader | ThreadLoader:
    """A loader yielding TensorDicts with batch_size [batch_size]; one ``__getitems__`` per batch.

    The order depends only on ``seed`` (not on ``num_workers`` or ``workers``). Iterating again
    gives the next epoch's order. Shuffled loaders draw from ``StepBatches``: rank ``rank`` of
    ``world`` gets its shard of each global batch of ``world * batch_size``, starting at global
    batch ``start`` (a resumed run passes its step).
    """
    if len(ds) < batch_size and drop_last:
        raise DatasetError(
            f"{ds!r} has {len(ds)} windows, fewer than batch_size={batch_size}; "
            "lower batch_size, record more data, or pass drop_last=False"
        )
    if workers not in WORKER_KINDS:
        raise DatasetError(f"workers must be one of {WORKER_KINDS}; got {workers!r}")
    if num_workers < 0:
        raise DatasetError(f"num_workers must be >= 0; got {num_workers}")
    if shuffle:
        if len(ds) < batch_size * world:
            raise DatasetError(
                f"{ds!r} has {len(ds)} windows, fewer than {world} ranks x batch_size={batch_size}"
            )
        groups = ds.window_episodes if per_episode > 1 else None
        need, have = batch_size * world // per_episode, len(np.unique(groups)) if groups is not None else 0
        if groups is not None and have < need:
            raise DatasetError(
                f"per_episode={per_episode}: a batch of {batch_size * world} windows needs {need} episodes, "
                f"{ds!r} has {have}; raise per_episode, lower batch_size or record more episodes"
            )
        batch_sampler = StepBatches(len(ds), batch_size, seed=seed, rank=rank, world=world, start=start,
                                    groups=groups, per_group=per_episode)  # fmt: skip
    else:
        batch_sampler = BatchSampler(SequentialSampler(ds), batch_size, drop_last)
    if num_workers > 0 and workers == "thread":
        return ThreadLoader(ds, batch_sampler, num_workers, pin_memory)
    context = None
    if num_workers > 0:
        # forkserver, not fork: Lance is not fork-safe. Preloading torch in the fork server halves
        # worker start-up (~7 s -> ~3.5 s here); no Lance handle is open there, so forking from it is safe.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["torch", "tensordict"])
    return DataLoader(
        ds,
        batch_sampler=batch_sampler,
        collate_fn=_keep_batch,
        num_workers=num_workers,
        multiprocessing_context=context,
        persistent_workers=num_workers > 0,
        pin_memory=pin_memory,
        generator=torch.Generator().manual_seed(seed + 1),
    )


def infinite_batches(loader) -> Iterator[TensorDict]:
    """Yield batches forever, starting a new epoch whenever the loader runs out (step-based training)."""
    while True:
        empty = True
        for batch in loader:
            empty = False
            yield batch
        if empty:
            raise DatasetError("the loader yields no batches; lower batch_size or record more data")
