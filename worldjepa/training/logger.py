"""Training metrics: one CSV row per log step (flushed, so a crash keeps the history) + a plot."""

from __future__ import annotations

import csv
from pathlib import Path

COLUMNS = (
    "step",
    "loss",
    "pred_loss",
    "sigreg_loss",
    "rank",
    "grad_norm",
    "lr",
    "steps_per_s",
    "val_pred_loss",
    "val_copy_loss",
    "val_rank",
    "val_probe_r2",
    "idm_loss",
)


class MetricsLogger:
    def __init__(self, out: str | Path, resume: bool = False):
        self.path = Path(out) / "metrics.csv"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        append = resume and self.path.exists()
        fields = COLUMNS
        if append:  # keep the file's own columns (it may predate a newer one)
            with open(self.path, newline="") as f:
                fields = tuple(next(csv.reader(f), COLUMNS))
        self._file = open(self.path, "a" if append else "w", newline="")
        self._writer = csv.DictWriter(self._file, fieldnames=fields, extrasaction="ignore")
        if not append:
            self._writer.writeheader()

    def log(self, row: dict) -> None:
        self._writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
        self._file.flush()

    def close(self) -> None:
        self._file.close()

    def plot(self) -> Path | None:
        """Write training_curves.png beside metrics.csv (None when nothing is logged yet)."""
        return plot_metrics(self.path)


def read_metrics(path: str | Path) -> dict[str, list[float]]:
    cols: dict[str, list[float]] = {c: [] for c in COLUMNS}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            for c in COLUMNS:
                v = row.get(c, "")
                cols[c].append(float(v) if v not in ("", None) else float("nan"))
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
    idm = [(s, v) for s, v in zip(m["step"], m["idm_loss"], strict=True) if not math.isnan(v)]
    if idm:  # trained with the inverse-dynamics term
        ax.plot(*zip(*idm, strict=True), label="train inverse-dynamics MSE")
    ax.set_yscale("log")
    ax.set_title("losses (MSE)")
    ax.legend(fontsize=8)
    axes[1].plot(m["step"], m["sigreg_loss"])
    axes[1].set_yscale("log")
    axes[1].set_title("SIGReg (Epps-Pulley x B)")
    axes[2].plot(m["step"], m["rank"], label="train batch")
    held = [(s, r) for s, r in zip(m["step"], m["val_rank"], strict=True) if not math.isnan(r)]
    if held:
        axes[2].plot(*zip(*held, strict=True), "o-", label="held-out")
        axes[2].legend(fontsize=8)
    axes[2].set_title("effective rank of z (RankMe)")
    axes[2].set_ylim(bottom=0)
    probe = [(s, r) for s, r in zip(m["step"], m["val_probe_r2"], strict=True) if not math.isnan(r)]
    if probe:
        axes[3].plot(*zip(*probe, strict=True), "o-")
    axes[3].set_ylim(0, 1)
    axes[3].set_title("held-out linear probe: mean R² of states")
    for a in axes:
        a.set_xlabel("step")
        a.grid(alpha=0.3)
    fig.tight_layout()
    return save_figure(fig, Path(csv_path).with_name("training_curves.png"))
