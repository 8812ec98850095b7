"""Training metrics: ``metrics.csv`` with one row per logged step and a column for every key any
row has had (a new term adds a column: the file is rewritten with the wider header), flushed
row by row so a crash keeps the history, plus ``training_curves.png``.

Floats are written at full precision (``repr``): a resumed run's losses can be compared with an
uninterrupted run's bit for bit. Rows also go to the run's experiment trackers
(``worldjepa.training.tracking``).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from pathlib import Path

# The columns the plot reads (read_metrics gives NaN for any a file lacks).
PLOTTED = ("step", "loss", "pred_loss", "sigreg_loss", "rank", "val_pred_loss", "val_copy_loss", "val_rank",
           "val_probe_r2", "val_motion", "val_success", "idm_loss", "val_rollout_loss")  # fmt: skip


def _cell(v) -> str:
    if isinstance(v, bool):
        return str(int(v))
    if isinstance(v, float):
        return repr(v)
    return str(v)


class MetricsLogger:
    """``<out>/metrics.csv``. ``resume_step``: continue an existing file, cut back to the rows of
    steps <= it (the killed run's rows past its checkpoint are dropped, so no step appears
    twice); None: start a new file."""

    def __init__(self, out: str | Path, resume_step: int | None = None, trackers: Sequence = ()):
        self.path = Path(out) / "metrics.csv"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.trackers = list(trackers)
        self._columns: list[str] = []
        self._rows: list[dict[str, str]] = []
        if resume_step is not None and self.path.exists():
            with open(self.path, newline="") as f:
                reader = csv.DictReader(f)
                self._columns = list(reader.fieldnames or [])
                self._rows = [r for r in reader if _step(r) is not None and _step(r) <= resume_step]
        self._rewrite()

    def _rewrite(self) -> None:
        """Write the header and every row to a temp file and swap it in (atomic)."""
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=self._columns, restval="")
        if self._columns:
            writer.writeheader()
            writer.writerows(self._rows)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(buf.getvalue())
        os.replace(tmp, self.path)
        self._file = open(self.path, "a", newline="")

    def log(self, row: dict) -> None:
        """One step's metrics (``step`` and any named numbers)."""
        cells = {k: _cell(v) for k, v in row.items()}
        self._rows.append(cells)
        new = [k for k in cells if k not in self._columns]
        if new:
            self._columns += new
            self._file.close()
            self._rewrite()
        else:
            csv.DictWriter(self._file, fieldnames=self._columns, restval="").writerow(cells)
            self._file.flush()
        for tracker in self.trackers:
            tracker.log(row)

    def close(self) -> None:
        self._file.close()
        for tracker in self.trackers:
            tracker.close()

    def plot(self) -> Path | None:
        """Write training_curves.png beside metrics.csv (None when nothing is logged yet)."""
        return plot_metrics(self.path)


def _step(row: dict) -> int | None:
    try:
        return int(float(row.get("step") or ""))
    except ValueError:
        return None


def read_metrics(path: str | Path) -> dict[str, list[float]]:
    """-> every column of ``path`` (and each of ``PLOTTED``) as floats, NaN where a row has none."""
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        names = list(dict.fromkeys([*(reader.fieldnames or []), *PLOTTED]))
    cols: dict[str, list[float]] = {c: [] for c in names}
    for row in rows:
        for c in names:
            v = row.get(c, "")
            try:
                cols[c].append(float(v) if v not in ("", None) else float("nan"))
            except ValueError:
                cols[c].append(float("nan"))
    return cols


def plot_metrics(csv_path: str | Path) -> Path | None:
    import math

    from worldjepa.plotting import pyplot, save_figure

    m = read_metrics(csv_path)
    if not m["step"]:
        return None
    plt = pyplot()
    fig, axes = plt.subplots(1, 4, figsize=(17, 3.6))
    ax = axes[0]
    ax.plot(m["step"], m["pred_loss"], label="train pred MSE")
    val = [
        (s, v, c)
        for s, v, c in zip(m["step"], m["val_pred_loss"], m["val_copy_loss"], strict=True)
        if not math.isnan(v)
    ]
    if val:
        ax.plot([s for s, _, _ in val], [v for _, v, _ in val], "o-", label="held-out pred MSE")
        ax.plot([s for s, _, _ in val], [c for _, _, c in val], "x--", label="held-out 'no change' MSE")

    def points(key):
        return [(s, v) for s, v in zip(m["step"], m.get(key, []), strict=False) if not math.isnan(v)]

    for key, label in (("idm_loss", "train inverse-dynamics MSE"), ("rollout_loss", "train k-step rollout MSE"),
                       ("val_rollout_loss", "held-out rollout MSE")):  # fmt: skip
        if points(key):  # trained or validated with that term
            ax.plot(*zip(*points(key), strict=True), label=label)
    ax.set_yscale("log")
    ax.set_title("losses (MSE)")
    ax.legend(fontsize=8)
    # the regulariser's terms: sigreg_loss, vcreg's var/var_t/cov, none for none or ema
    own = ("loss", "pred_loss", "idm_loss", "rollout_loss", "smooth_loss")
    regs = [k for k in m if k.endswith("_loss") and k not in own and not k.startswith("val_") and points(k)]
    for key in regs:
        axes[1].plot(*zip(*points(key), strict=True), label=key.removesuffix("_loss"))
    if regs:
        axes[1].set_yscale("log")
        axes[1].legend(fontsize=8)
    axes[1].set_title("anti-collapse terms" if regs else "no anti-collapse term")
    axes[2].plot(m["step"], m["rank"], label="train batch")
    held = [(s, r) for s, r in zip(m["step"], m["val_rank"], strict=True) if not math.isnan(r)]
    if held:
        axes[2].plot(*zip(*held, strict=True), "o-", label="held-out")
        axes[2].legend(fontsize=8)
    axes[2].set_title("effective rank of z (RankMe)")
    axes[2].set_ylim(bottom=0)
    for key, label in (
        ("val_probe_r2", "linear probe: mean R² of states"),
        ("val_success", "MPC success"),
        ("val_motion", "motion: latent variance moved per frame"),
    ):
        points = [(s, r) for s, r in zip(m["step"], m[key], strict=True) if not math.isnan(r)]
        if points:
            axes[3].plot(*zip(*points, strict=True), "o-", label=label)
    axes[3].set_ylim(0, 1)
    axes[3].set_title("held-out: probe R², planning, motion")
    if axes[3].get_lines():
        axes[3].legend(fontsize=8)
    for a in axes:
        a.set_xlabel("step")
        a.grid(alpha=0.3)
    fig.tight_layout()
    return save_figure(fig, Path(csv_path).with_name("training_curves.png"))
