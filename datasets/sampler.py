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

    With ``groups`` (a group id per item, e.g. each window's episode) and ``per_group`` > 1, a
    batch is ``batch_size / per_group`` whole groups of ``per_group`` items each (drawn without
    replacement where a group has enough), and an epoch is a permutation of the groups: the
    objective can then compare latents of one episode at different times. A rank's groups are
    its own, so per-group statistics need no communication.
    """

    def __init__(self, num_items: int, batch_size: int, *, seed: int = 0, rank: int = 0, world: int = 1,
                 start: int = 0, groups=None, per_group: int = 1):  # fmt: skip
        if not 0 <= rank < world:
            raise ValueError(f"rank {rank} is not in a world of {world}")
        if per_group < 1 or batch_size % per_group:
            raise ValueError(f"batch_size {batch_size} is not a multiple of per_group={per_group}")
        self.num_items, self.batch_size = int(num_items), int(batch_size)
        self.seed, self.rank, self.world = int(seed), int(rank), int(world)
        self.global_batch = self.batch_size * self.world
        self.per_group = int(per_group) if groups is not None else 1
        if self.per_group > 1:
            _, inverse = torch.unique(torch.as_tensor(groups), return_inverse=True)
            order = torch.argsort(inverse, stable=True)
            counts = torch.bincount(inverse)
            self._members = torch.split(order, counts.tolist())  # items of each group
            units = len(self._members)
        else:
            units = self.num_items
        self.per_epoch = units // (self.global_batch // self.per_group)
        if self.per_epoch == 0:
            what = f"{units} groups of {self.per_group}" if self.per_group > 1 else f"{self.num_items} items"
            raise ValueError(
                f"{what} make no batch of {self.global_batch} ({self.world} x {self.batch_size})"
            )
        self.next = int(start)  # the next global batch number __iter__ starts from
        self._cached: tuple[int, torch.Tensor] | None = None

    def __len__(self) -> int:
        return self.per_epoch

    def permutation(self, epoch: int) -> torch.Tensor:
        """(units,) int64: epoch ``epoch``'s order of the items (or groups), the same on every rank."""
        if self._cached is None or self._cached[0] != epoch:
            gen = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            units = len(self._members) if self.per_group > 1 else self.num_items
            self._cached = (epoch, torch.randperm(units, generator=gen))
        return self._cached[1]

    def batch(self, k: int) -> list[int]:
        """This rank's ``batch_size`` indices of global batch ``k``."""
        epoch, pos = divmod(k, self.per_epoch)
        per_rank = self.batch_size // self.per_group
        lo = pos * (self.global_batch // self.per_group) + self.rank * per_rank
        units = self.permutation(epoch)[lo : lo + per_rank]
        if self.per_group == 1:
            return units.tolist()
        out: list[int] = []
        for g in units.tolist():  # which members: a function of (seed, k, group) alone
            members = self._members[g]
            gen = torch.Generator().manual_seed((self.seed * 1_000_003 + k) * 1_000_033 + g)
            if len(members) >= self.per_group:
                pick = torch.randperm(len(members), generator=gen)[: self.per_group]
            else:
                pick = torch.randint(len(members), (self.per_group,), generator=gen)
            out += members[pick].tolist()
        return out

    def __iter__(self) -> Iterator[list[int]]:
        first = self.next
        epoch = first // self.per_epoch
        end = (epoch + 1) * self.per_epoch
        self.next = end  # set now: a prefetching loader may call iter() again before we finish
        for k in range(first, end):
            yield self.batch(k)
