"""How many bad inputs get one line: every case of tests/worldjepa/test_bad_inputs.py, run
through the CLI as a user would (a subprocess each), counted by outcome.

    python benchmarks/bad_inputs.py [--workdir /tmp/bad_inputs]

``ISSUE`` is the front-door issue's list; ``MORE`` and ``WITH_RUN`` are further inputs tried
the same way (``WITH_RUN`` against a tiny recorded dataset and checkpoint, made first). An
outcome is "one line" when the exit code is 2, stderr holds exactly one line and no traceback.
Prints a table per group and the totals; ~5 min on 2 cores (one Python start per case).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _load(path: Path):
    """A test module by file (tests/ is not a package; on sys.path its worldjepa/ folder would
    shadow the real package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_cases = _load(HERE.parent / "tests" / "worldjepa" / "test_bad_inputs.py")
ISSUE, MORE, WITH_RUN = _cases.ISSUE, _cases.MORE, _cases.WITH_RUN
TINY_MODEL = _load(HERE.parent / "tests" / "tiny_run.py").TINY_MODEL


def cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "worldjepa.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600)  # fmt: skip


def outcome(res: subprocess.CompletedProcess) -> str:
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    if "Traceback" in res.stderr:
        return "traceback"
    if res.returncode == 0:
        return "accepted"
    if res.returncode == 2 and len(lines) == 1:
        return "one line"
    return f"exit {res.returncode}, {len(lines)} lines"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bad_inputs_"))
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / "a_file").write_text("not a directory")
    data, run, small = work / "data", work / "run", work / "small"
    for setup in (["collect", "episodes=8", "image_size=32", f"out={data}"],
                  ["collect", "episodes=2", "image_size=16", f"out={small}"],
                  ["train", f"data.path={data}", f"out={run}", "steps=4", "data.batch_size=8", "loss.num_proj=16",
                   "data.val_fraction=0.25", *TINY_MODEL]):  # fmt: skip
        assert cli(setup, work).returncode == 0, setup
    fmt = dict(tmp=work, file=work / "a_file", data=data, run=run, small=small, root=run.parent)
    totals = {}
    for name, cases in (("ISSUE", ISSUE), ("MORE", MORE), ("WITH_RUN", WITH_RUN)):
        counts: dict[str, int] = {}
        print(f"\n{name} ({len(cases)} inputs)")
        for argv, _expected in cases:
            res = cli([a.format(**fmt) for a in argv], work)
            got = outcome(res)
            counts[got] = counts.get(got, 0) + 1
            if got != "one line":
                print(f"  {got:<10} worldjepa {' '.join(argv)}")
        print("  " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
        totals[name] = (counts.get("one line", 0), len(cases))
    print("\ngroup      one line / tried")
    for name, (ok, n) in totals.items():
        print(f"{name:<10} {ok:>4} / {n}")
    ok, n = sum(v[0] for v in totals.values()), sum(v[1] for v in totals.values())
    print(f"{'all':<10} {ok:>4} / {n}")


if __name__ == "__main__":
    main()
