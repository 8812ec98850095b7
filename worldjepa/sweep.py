"""`worldjepa <command> -m a=1,2 b=x,y`: every combination, one output directory per job.

Sweeps run through Hydra's own multirun, so any Hydra launcher works: the default runs jobs one
after another in this process; ``hydra/launcher=submitit_slurm`` (``pip install
'worldjepa[slurm]'``) submits them to SLURM. Every combination is composed and validated before
the first job starts, so a typo in the third value fails in a second, not after two trainings.

Each job writes ``sweep_job.json`` (its overrides, status and a short summary) into its output
directory ``<sweep dir>/<swept values>`` (``seed-0__loss.sigreg_weight-0.03``); the sweep dir is ``out=`` when given (else
``multirun/<command>/<time>``). A failed job is recorded and the others still run; the summary
table is printed and written to ``<sweep dir>/sweep_summary.json``.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from worldjepa.errors import ConfigError

log = logging.getLogger(__name__)
JOB_FILE = "sweep_job.json"
OUT_KEYS = {
    "quickstart": "out_dir",
    "collect": "out",
    "train": "out",
    "eval": "out",
    "probe": "out",
    "surprise": "out",
}


def _train_summary(out: Path, result: Any) -> dict:
    import csv

    with open(out / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    last = rows[-1] if rows else {}
    val = [r["val_pred_loss"] for r in rows if r.get("val_pred_loss")]
    return {k: v for k, v in (("step", last.get("step")), ("pred_loss", last.get("pred_loss")),
                              ("val_pred_loss", val[-1] if val else None)) if v}  # fmt: skip


def _eval_summary(out: Path, result: dict) -> dict:
    return {s["policy"]: f"{100 * s['success_rate']:.1f}%" for s in result["summary"]}


def _collect_summary(out: Path, result: Any) -> dict:
    from worldjepa.datasets import open_dataset

    return {"episodes": open_dataset(out).num_episodes}


SUMMARIES: dict[str, Callable[[Path, Any], dict]] = {
    "train": _train_summary,
    "eval": _eval_summary,
    "quickstart": lambda out, result: _eval_summary(out, result) if isinstance(result, dict) else {},
    "collect": _collect_summary,
}


def expand(overrides: list[str]) -> list[list[str]]:
    """Sweep overrides -> every combination, as lists of plain overrides (Hydra's own grammar)."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(overrides)
    return [combo for batch in BasicSweeper.split_arguments(parsed, None) for combo in batch]


def job_names(task: list[str], combos: list[list[str]]) -> tuple[list[str], bool]:
    """-> (each job's directory name, whether they are named by value). By value: its swept
    ``key-value`` pairs, sorted, joined by '__' (what Hydra's override_dirname makes with those
    separators: '=' or ',' would make the directory unusable as a later override's value); by
    number when a value holds a '/' or another character a directory name should not."""
    import re

    from hydra.core.override_parser.overrides_parser import OverridesParser

    swept = {o.key_or_group for o in OverridesParser.create().parse_overrides(task) if o.is_sweep_override()}
    if not swept:
        return [str(i) for i in range(len(combos))], False
    names = []
    for combo in combos:
        pairs = [o.split("=", 1) for o in combo]
        names.append(
            "__".join(
                sorted(f"{k.lstrip('+')}-{v}" for k, v in pairs if k.lstrip("+").split("@")[0] in swept)
            )
        )
    if all(re.fullmatch(r"[\w.\-@+]+", n) for n in names):
        return names, True
    return [str(i) for i in range(len(combos))], False


def run_sweep(command: str, overrides: list[str], print_configs: bool = False) -> int:
    """Validate every combination, then run them (``print_configs``: print each job's composed
    config instead of running it)."""
    import hydra

    from worldjepa.config.composer import check_syntax, compose, config_class, rewrite_overrides
    from worldjepa.config.schema import stored

    if command not in OUT_KEYS:
        raise ConfigError(f"-m sweeps run {', '.join(OUT_KEYS)}; '{command}' writes no run to sweep over")
    cls = config_class(command)
    stored(command, cls)
    overrides = check_syntax(overrides)
    ours = [o for o in overrides if not o.lstrip("+~").startswith("hydra")]
    launcher = [o for o in overrides if o.lstrip("+~").startswith("hydra")]
    out_key = OUT_KEYS[command]
    task = rewrite_overrides(cls, [o for o in ours if o.split("=", 1)[0] != out_key])
    combos = expand(task)
    given = [o.split("=", 1)[1].strip("'\"") for o in ours if o.split("=", 1)[0] == out_key]
    sweep_dir = Path(given[0]) if given else Path("multirun") / command / time.strftime("%Y%m%d-%H%M%S")
    names, by_values = job_names(task, combos)
    # every job validated before the first one starts, with the directory it will write to
    configs = [
        compose(command, [*combo, f"{out_key}={sweep_dir / name}"])
        for combo, name in zip(combos, names, strict=True)
    ]
    if print_configs:
        import dataclasses

        import yaml

        for combo, cfg in zip(combos, configs, strict=True):
            print(f"# job: {' '.join(combo)}\n{yaml.safe_dump(dataclasses.asdict(cfg), sort_keys=False)}")
        return 0
    from worldjepa.paths import writable_dir

    writable_dir(sweep_dir, out_key)
    if (sweep_dir / "sweep_summary.json").exists() and not getattr(configs[0], "resume", False):
        raise ConfigError(
            f"{out_key}={sweep_dir} already holds a sweep; choose another {out_key}="
            + (" or add --resume to continue its runs" if command == "train" else "")
        )
    log.info("sweep: %d job(s) of worldjepa %s -> %s", len(combos), command, sweep_dir)

    def job(node) -> None:  # Hydra's node is not expanded (recipe=...): run the config composed above
        _run_job(command, configs)

    from hydra.core.override_parser.overrides_parser import OverridesParser

    fixed = [
        o.key_or_group for o in OverridesParser.create().parse_overrides(task) if not o.is_sweep_override()
    ]
    argv = [
        f"worldjepa {command}",
        "-m",
        *task,
        f"hydra.sweep.dir={sweep_dir}",
        # a job's directory is named by the values it sweeps (job_names): Hydra's override_dirname
        # with '-' and '__', or the job's number when a value would not make a directory name
        "hydra.sweep.subdir=" + ("${hydra.job.override_dirname}" if by_values else "${hydra.job.num}"),
        "hydra.job.config.override_dirname.exclude_keys=[" + ",".join(repr(k) for k in fixed) + "]",
        "hydra.job.config.override_dirname.kv_sep=-",
        "hydra.job.config.override_dirname.item_sep=__",
        "hydra/job_logging=none",
        "hydra/hydra_logging=none",
        *launcher,
    ]
    saved = sys.argv
    sys.argv = argv
    try:
        hydra.main(config_path="pkg://worldjepa.configs", config_name=command, version_base=None)(job)()
    except SystemExit as exc:  # Hydra reports its own errors and exits
        if exc.code:
            raise ConfigError(
                f"the sweep launcher stopped (exit {exc.code}); see the message above"
            ) from None
    finally:
        sys.argv = saved
    return report(sweep_dir)


def _run_job(command: str, configs: list) -> None:
    """Run job ``hc.job.num``: the config ``run_sweep`` composed for that combination (Hydra
    numbers the jobs in the order ``expand`` lists them), into the directory Hydra made."""
    import importlib

    from hydra.core.hydra_config import HydraConfig

    from worldjepa.commands import COMMANDS

    hc = HydraConfig.get()
    out = Path(hc.runtime.output_dir)
    record: dict[str, Any] = {"num": hc.job.num, "overrides": list(hc.overrides.task), "status": "ok"}
    t0 = time.perf_counter()
    try:
        cfg = configs[hc.job.num]
        planned = Path(getattr(cfg, OUT_KEYS[command])).resolve()
        if planned != out.resolve():
            raise ConfigError(f"job {hc.job.num} was composed for {planned}, but Hydra runs it in {out}")
        module = importlib.import_module(f"worldjepa.commands.{COMMANDS[command].module}")
        result = module.main(cfg)
        summarise = SUMMARIES.get(command)
        record["summary"] = summarise(out, result) if summarise else {}
    except Exception as exc:  # noqa: BLE001 - one failed job must not stop the sweep
        from worldjepa.cli import one_line

        record.update(status="failed", error=f"{type(exc).__name__}: {one_line(exc)}")
        log.error("job %d (%s) failed: %s", hc.job.num, " ".join(record["overrides"]), record["error"])
    record["minutes"] = round((time.perf_counter() - t0) / 60, 2)
    out.mkdir(parents=True, exist_ok=True)
    (out / JOB_FILE).write_text(json.dumps(record, indent=2))


def report(sweep_dir: Path) -> int:
    """Print and write the sweep's summary -> exit code (1 if any job failed)."""
    jobs = sorted((json.loads(p.read_text()) | {"dir": p.parent.name} for p in sweep_dir.glob(f"*/{JOB_FILE}")),
                  key=lambda r: r["num"])  # fmt: skip
    if not jobs:
        raise ConfigError(f"no job of the sweep wrote {JOB_FILE} under {sweep_dir}")
    keys = sorted({k for r in jobs for k in r.get("summary", {})})
    rows = [["job", "swept values (its directory)", "status", *keys, "min"]]
    for r in jobs:
        s = r.get("summary", {})
        rows.append([str(r["num"]), r["dir"], r["status"], *(str(s.get(k, "-")) for k in keys),
                     str(r["minutes"])])  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    print(f"sweep {sweep_dir}: {sum(r['status'] == 'ok' for r in jobs)}/{len(jobs)} jobs ok")
    print("\n".join(lines))
    (sweep_dir / "sweep_summary.json").write_text(json.dumps(jobs, indent=2))
    for r in jobs:
        if r["status"] != "ok":
            print(f"job {r['num']} failed: {r['error']}", file=sys.stderr)
    return 0 if all(r["status"] == "ok" for r in jobs) else 1
