"""Time the README's main command in fresh clones and report their eval tables side by side.

    python benchmarks/quickstart_fresh_clone.py [--commits a174072 HEAD] [--keep DIR]

For each commit (default: HEAD alone), clones this repository at that commit into a temp dir,
runs that commit's own README first command there verbatim (venv + install + `worldjepa
quickstart`), and reports the wall time, split into install and quickstart (read from the
command's own stages), with the quickstart's MPC success. Commits run one after the other in
the same run, so their times compare (each gets the whole machine).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands(readme: str) -> list[str]:
    """The README's fenced bash commands, in order (the first runs quickstart, the second the tests)."""
    return re.findall(r"```bash\n(.+?)\n```", readme)


def run_commit(commit: str, work: Path) -> dict:
    subprocess.run(["git", "clone", "-q", str(ROOT), str(work)], check=True)
    subprocess.run(["git", "-C", str(work), "checkout", "-q", commit], check=True)
    sha = subprocess.run(["git", "-C", str(work), "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True, check=True).stdout.strip()  # fmt: skip
    command = next(c for c in readme_commands((work / "README.md").read_text()) if "quickstart" in c)
    setup, _, main = command.rpartition("&&")
    print(f"\n[{commit} = {sha}] $ {command}\n  (in {work})", flush=True)
    t0 = time.perf_counter()
    subprocess.run(["bash", "-c", setup.strip()], cwd=work, check=True)
    t1 = time.perf_counter()
    subprocess.run(["bash", "-c", main.strip()], cwd=work, check=True)
    t2 = time.perf_counter()
    results = json.loads((work / "runs/quickstart/model/eval/results.json").read_text())
    mpc = next(s for s in results["summary"] if s["policy"] == "mpc")
    print(results["table"], flush=True)
    return {"commit": commit, "sha": sha, "install_min": (t1 - t0) / 60, "quickstart_min": (t2 - t1) / 60,
            "wall_min": (t2 - t0) / 60, "success": mpc["success_rate"], "ci95": mpc["ci95"],
            "episodes": mpc["episodes"]}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commits", nargs="+", default=["HEAD"])
    parser.add_argument("--keep", type=Path, help="clone under here and keep the clones (default: temp dirs)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/quickstart_fresh_clone.json")
    args = parser.parse_args()
    rows = []
    for commit in args.commits:
        base = args.keep or Path(tempfile.mkdtemp(prefix="wj-quickstart-"))
        rows.append(run_commit(commit, base / re.sub(r"\W", "_", commit)))
    print(
        f"\n{'commit':>10} {'install':>8} {'quickstart':>11} {'wall':>7} {'MPC success':>12} {'95% CI':>15}"
    )
    for r in rows:
        lo, hi = r["ci95"]
        print(f"{r['sha']:>10} {r['install_min']:7.1f}m {r['quickstart_min']:10.1f}m {r['wall_min']:6.1f}m "
              f"{100 * r['success']:11.1f}% [{100 * lo:5.1f}, {100 * hi:5.1f}]")  # fmt: skip
    if len(rows) > 1:
        print(
            f"\nwall time {rows[-1]['sha']} / {rows[0]['sha']}: {rows[-1]['wall_min'] / rows[0]['wall_min']:.2f}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
