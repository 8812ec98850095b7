"""One timing loop for every loader in benchmarks/loader_speed.py (imported by both venvs).

Needs only torch, so stable-worldmodel's venv can import it too.
"""

from __future__ import annotations

import time


def time_loader(loader, batches: int, batch_size: int) -> dict:
    """Iterate ``loader``: the first batch (worker start-up) is untimed, then ``batches`` batches are.

    -> {"samples_per_s", "seconds", "startup_s"}; restarts the iterator if an epoch runs out.
    """
    t0 = time.perf_counter()
    it = iter(loader)
    next(it)
    startup = time.perf_counter() - t0
    t0 = time.perf_counter()
    done = 0
    while done < batches:
        try:
            next(it)
        except StopIteration:
            it = iter(loader)
            continue
        done += 1
    seconds = time.perf_counter() - t0
    return {"samples_per_s": batches * batch_size / seconds, "seconds": seconds, "startup_s": startup}
