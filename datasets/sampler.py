"""``StepBatches``: shuffled training batches as a pure function of (seed, batch number, rank).

Global batch ``k`` of a run is the ``k``-th slice of ``world * batch_size`` items of epoch
``k // batches_per_epoch``'s permutation, and rank ``r`` takes the ``r``-th ``batch_size`` part
of it. So

- a resumed run continues exactly where the killed one stopped: its sampler state is only the
  next batch number (``start``), nothing that prefetching could run ahead of;
- N ranks at ``batch_size`` B/N see, together, exactly the windows 1 process sees at B;
- the ranks' shards never overlap within a step.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch


class StepBatches:
    """A batch sampler (``DataLoader(batch_sampler=...)``) over ``num_items`` indices.

    Iterating yields this rank's batches from ``start`` to the end of that epoch; iterating
    again continues with the next epoch, so ``infinite_batches`` runs from ``start`` forever.
    ``len()`` is the number of batches per epoch (incomplete global batches are dropped).
    """

    def __init__(self, num_items: int, batch_size: int, *, seed: int = 0, rank: int = 0, world: int = 1,
                 start: int = 0):  # fmt: skip
        if not 0 <= rank < world:
            raise ValueError(f"rank {rank} is not in a world of {world}")
        self.num_items, self.batch_size = int(num_items), int(batch_size)
        self.seed, self.rank, self.world = int(seed), int(rank), int(world)
        self.global_batch = self.batch_size * self.world
        self.per_epoch = self.num_items // self.global_batch
        if self.per_epoch == 0:
            raise ValueError(
                f"{self.num_items} items make no batch of {self.global_batch} ({self.world} x {self.batch_size})"
            )
        self.next = int(start)  # the next global batch number __iter__ starts from

    def __len__(self) -> int:
        return self.per_epoch

    def permutation(self, epoch: int) -> torch.Tensor:
        """(num_items,) int64: epoch ``epoch``'s order, the same on every rank."""
        gen = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        return torch.randperm(self.num_items, generator=gen)

    def batch(self, k: int) -> list[int]:
        """This rank's ``batch_size`` indices of global batch ``k``."""
        epoch, pos = divmod(k, self.per_epoch)
        lo = pos * self.global_batch + self.rank * self.batch_size
        return self.permutation(epoch)[lo : lo + self.batch_size].tolist()

    def __iter__(self) -> Iterator[list[int]]:
        first = self.next
        epoch = first // self.per_epoch
        end = (epoch + 1) * self.per_epoch
        self.next = end  # set now: a prefetching loader may call iter() again before we finish
        perm = self.permutation(epoch)
        for k in range(first, end):
            lo = (k - epoch * self.per_epoch) * self.global_batch + self.rank * self.batch_size
            yield perm[lo : lo + self.batch_size].tolist()
