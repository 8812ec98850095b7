"""Progress that reads well in a terminal and in a log file.

``progress_bar(...)`` takes tqdm's arguments. On a terminal it is a tqdm bar; when the stream
is not a TTY (a log file, a pipe, a batch job) it is a ``LineProgress``: the same interface,
but it prints a plain line now and then, with no carriage returns::

    train: 250/2500 step (10%), 4.1 step/s, eta 9m10s, pred=0.0123
    train: 2500/2500 step (100%), 4.1 step/s, done in 10m10s, pred=0.0101
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from numbers import Integral, Number
from typing import IO, Any

INTERVAL_S = 30.0  # a line once this long has passed since the last one, ...
STEP_FRACTION = 0.1  # ... or at each 10% of the total, unless the last line is under
# half the interval old (the final line is always printed)


def is_tty(stream: IO | None) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def progress_bar(iterable: Iterable | None = None, **kwargs: Any):
    """tqdm's signature -> a tqdm bar when ``file`` (default stderr) is a terminal, else a
    ``LineProgress`` with the same interface."""
    stream = kwargs.get("file") or sys.stderr
    if is_tty(stream):
        from tqdm import tqdm

        return tqdm(iterable, **kwargs)
    return LineProgress(iterable, **kwargs)


def format_duration(seconds: float) -> str:
    """Seconds -> ``45s``, ``9m10s``, ``2h05m``."""
    s = int(round(max(seconds, 0.0)))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def _format_value(value: object) -> str:
    """A postfix value as tqdm shows it: floats to 4 significant digits, the rest as is."""
    if isinstance(value, Number) and not isinstance(value, Integral):
        return f"{value:.4g}"
    return str(value)


def _count(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.1f}"


class LineProgress:
    """tqdm's interface (``update``, ``set_postfix``, ``set_description``, ``write``, ``close``,
    context manager, iterating over ``iterable``; ``total``, ``initial``, ``n``, ``desc``, ``unit``)
    printing plain lines to ``file`` (default stderr): once ``interval`` seconds have passed since
    the last line, or at a 10% mark of ``total`` once half of that has; a final line at ``close``.
    Other tqdm arguments are accepted and ignored."""

    def __init__(
        self,
        iterable: Iterable | None = None,
        desc: str | None = None,
        total: float | None = None,
        *,
        initial: float = 0,
        unit: str = "it",
        disable: bool = False,
        file: IO | None = None,
        interval: float = INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
        **_ignored: Any,
    ):
        if total is None and iterable is not None:
            try:
                total = len(iterable)  # type: ignore[arg-type]
            except TypeError:
                total = None
        self.iterable, self.desc, self.total, self.unit = iterable, desc or "", total, unit
        self.initial = self.n = initial
        self.disable, self.interval, self._clock = disable, interval, clock
        self._file = file
        self.postfix = ""
        self._start = self._last_line = clock()
        self._next_mark = self._mark_after(initial)
        self._closed = False

    # ------------------------------------------------------------ tqdm's interface
    def update(self, n: float = 1) -> None:
        self.n += n
        if self.disable or self._closed:
            return
        now = self._clock()
        since = now - self._last_line
        crossed = self._next_mark is not None and self.n >= self._next_mark
        if since >= self.interval or (crossed and since >= self.interval / 2):
            self._print(self._line(now))
            self._last_line = now
        if crossed:
            self._next_mark = self._mark_after(self.n)

    def set_postfix(self, ordered_dict: dict | None = None, refresh: bool = True, **kwargs: Any) -> None:
        items = {**(ordered_dict or {}), **kwargs}
        self.postfix = ", ".join(f"{k}={_format_value(v)}" for k, v in items.items())

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        self.postfix = str(s)

    def set_description(self, desc: str | None = None, refresh: bool = True) -> None:
        self.desc = desc or ""

    def refresh(self) -> None:
        pass

    def write(self, s: str) -> None:
        if not self.disable:
            self._print(str(s))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if not self.disable:
            self._print(self._line(self._clock(), final=True))

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __iter__(self) -> Iterator:
        if self.iterable is None:
            raise TypeError("LineProgress was given no iterable to wrap")
        try:
            for item in self.iterable:
                yield item
                self.update(1)
        finally:
            self.close()

    def __len__(self) -> int:
        return int(self.total or 0)

    # ------------------------------------------------------------ the lines
    def _mark_after(self, n: float) -> float | None:
        """The next 10% mark of ``total`` strictly after ``n`` (None without a total)."""
        if not self.total:
            return None
        step = self.total * STEP_FRACTION
        return (int(n // step) + 1) * step

    def _line(self, now: float, final: bool = False) -> str:
        elapsed = now - self._start
        done = self.n - self.initial
        rate = done / elapsed if elapsed > 0 else 0.0
        count = f"{_count(self.n)}/{_count(self.total)}" if self.total else _count(self.n)
        parts = [f"{count} {self.unit}" + (f" ({self.n / self.total:.0%})" if self.total else "")]
        if rate > 0:
            parts.append(f"{rate:.3g} {self.unit}/s")
        if final:
            finished = not self.total or self.n >= self.total
            parts.append(f"{'done in' if finished else 'stopped after'} {format_duration(elapsed)}")
        elif self.total and rate > 0:
            parts.append(f"eta {format_duration((self.total - self.n) / rate)}")
        if self.postfix:
            parts.append(self.postfix)
        return (f"{self.desc}: " if self.desc else "") + ", ".join(parts)

    def _print(self, line: str) -> None:
        stream = self._file or sys.stderr
        stream.write(line + "\n")
        stream.flush()
