"""worldjepa.progress: tqdm on a terminal, plain periodic lines (no carriage returns) elsewhere."""

import io

import pytest

from worldjepa.progress import LineProgress, format_duration, progress_bar


class FakeClock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_not_a_tty_prints_plain_lines_at_each_tenth_and_a_final_line():
    out, clock = io.StringIO(), FakeClock()
    bar = progress_bar(total=2500, initial=0, desc="train", unit="step", file=out, clock=clock, interval=120)
    assert isinstance(bar, LineProgress)
    assert (bar.total, bar.initial, bar.desc, bar.unit) == (2500, 0, "train", "step")
    with bar:
        for _ in range(2500):
            clock.t += 0.25
            bar.update(1)
            bar.set_postfix(pred=0.012345, rank="7")
    text = out.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    assert len(lines) == 11  # 10%, 20%, ..., 100% and the final line
    assert lines[0] == "train: 250/2500 step (10%), 4 step/s, eta 9m22s, pred=0.01235, rank=7"
    assert lines[-1] == "train: 2500/2500 step (100%), 4 step/s, done in 10m25s, pred=0.01235, rank=7"
    out, clock = io.StringIO(), FakeClock()
    with progress_bar(total=2500, desc="train", unit="step", file=out, clock=clock, interval=30) as bar:
        for _ in range(2500):
            clock.t += 0.25
            bar.update(1)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("train: 120/2500 step (5%)")  # 30 s in: before the first 10%
    steps = [int(line.split()[1].split("/")[0]) for line in lines[:-1]]  # 4 steps a second
    gaps = [b - a for a, b in zip([0, *steps], steps, strict=False)]
    assert min(gaps) >= 60 and max(gaps) <= 120  # never under half the interval apart, never over it


def test_lines_come_every_interval_without_a_total_and_never_too_often():
    out, clock = io.StringIO(), FakeClock()
    kw = dict(desc="surprise", unit="episode", file=out, clock=clock, interval=10)
    for _ in progress_bar(iter(range(100)), **kw):
        clock.t += 1.0
    lines = out.getvalue().splitlines()
    assert lines[0] == "surprise: 10 episode, 1 episode/s"
    assert len(lines) == 11 and lines[-1] == "surprise: 100 episode, 1 episode/s, done in 1m40s"
    out, clock = io.StringIO(), FakeClock()
    with progress_bar(total=1000, file=out, clock=clock, desc="fast") as bar:
        for _ in range(1000):
            bar.update(1)  # no time passes: only the final line
    assert out.getvalue().splitlines() == ["fast: 1000/1000 it (100%), done in 0s"]


def test_wraps_sized_iterables_resumes_and_names_an_early_stop():
    out, clock = io.StringIO(), FakeClock()
    seen = []
    for x in progress_bar(range(4), desc="probe", unit="batch", file=out, clock=clock, leave=False):
        seen.append(x)
    assert seen == [0, 1, 2, 3] and out.getvalue().splitlines() == ["probe: 4/4 batch (100%), done in 0s"]
    out = io.StringIO()
    bar = progress_bar(total=20, initial=10, desc="train", unit="step", file=out, clock=clock)
    clock.t += 5
    bar.update(5)
    bar.close()
    bar.close()  # once only
    assert out.getvalue().splitlines()[-1] == "train: 15/20 step (75%), 1 step/s, stopped after 5s"
    out = io.StringIO()
    with progress_bar(total=3, file=out, disable=True) as bar:
        bar.update(3)
    assert out.getvalue() == ""


def test_a_terminal_gets_tqdm():
    from tqdm import tqdm

    bar = progress_bar(total=3, desc="x", file=Terminal())
    assert isinstance(bar, tqdm)
    bar.close()


@pytest.mark.parametrize(("s", "text"), [(0.4, "0s"), (45, "45s"), (550, "9m10s"), (7500, "2h05m")])
def test_format_duration(s, text):
    assert format_duration(s) == text
