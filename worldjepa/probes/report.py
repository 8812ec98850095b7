"""The probe report: an R² table (markdown) and predicted-vs-true scatter plots."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def format_table(results: list[dict], quantities: list[str], features: list[str], probes: list[str]) -> str:
    """Markdown: one row per quantity (with its kind: state, or the factor's), one column per
    (features, probe): held-out R²."""
    cols = [(f, p) for f in features for p in probes]
    r2 = {(r["quantity"], r["features"], r["probe"]): r["r2"] for r in results}
    kind = {r["quantity"]: r.get("kind", "") for r in results}
    lines = [
        "| quantity | kind | " + " | ".join(f"{f} {p}" for f, p in cols) + " |",
        "|---|---|" + "---|" * len(cols),
    ]
    for q in quantities:
        lines.append(f"| {q} | {kind[q]} | " + " | ".join(f"{r2[(q, f, p)]:.3f}" for f, p in cols) + " |")
    return "\n".join(lines)


def plot_predictions(names: list[str], y_true: np.ndarray, y_pred: np.ndarray, path: Path, title: str,
                     max_points: int = 2000, seed: int = 0) -> Path:  # fmt: skip
    """One scatter (predicted vs true, with the identity line and R²) per quantity -> PNG path."""
    from worldjepa.plotting import pyplot, save_figure

    plt = pyplot()

    from worldjepa.probes.fit import scores

    r2 = scores(y_true, y_pred)["r2"]
    n = len(names)
    cols = min(5, n)
    rows = (n + cols - 1) // cols
    pick = np.random.default_rng(seed).permutation(len(y_true))[:max_points]
    fig, axes = plt.subplots(rows, cols, figsize=(2.6 * cols, 2.6 * rows), squeeze=False)
    for q, ax in enumerate(axes.flat):
        if q >= n:
            ax.axis("off")
            continue
        t, p = y_true[pick, q], y_pred[pick, q]
        lo, hi = float(min(t.min(), p.min())), float(max(t.max(), p.max()))
        ax.plot([lo, hi], [lo, hi], color="0.6", lw=0.8)
        ax.scatter(t, p, s=2, alpha=0.4)
        ax.set_title(f"{names[q]}  R²={r2[q]:.2f}", fontsize=8)
        ax.tick_params(labelsize=6)
    fig.supxlabel("true", fontsize=8)
    fig.supylabel("predicted", fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path, dpi=100)
