"""Time the README's main command in a fresh clone and report its eval table (issue 2's 'done when').

    python benchmarks/quickstart_fresh_clone.py [--keep DIR]

Clones this repository's HEAD into a temp dir, runs the README's first command there verbatim
(venv + install + `worldjepa quickstart`), and prints the wall time and the quickstart table.
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


def readme_commands() -> list[str]:
    """The README's fenced bash commands, in order (the first runs quickstart, the second the tests)."""
    return re.findall(r"```bash\n(.+?)\n```", (ROOT / "README.md").read_text())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keep", type=Path, help="clone here and keep it (default: a temp dir)")
    args = parser.parse_args()
    command = next(c for c in readme_commands() if "quickstart" in c)
    work = args.keep or Path(tempfile.mkdtemp(prefix="wj-quickstart-"))
    subprocess.run(["git", "clone", "-q", str(ROOT), str(work)], check=True)
    print(f"$ {command}\n  (in {work})")
    t0 = time.perf_counter()
    subprocess.run(["bash", "-c", command], cwd=work, check=True)
    wall = time.perf_counter() - t0
    results = json.loads((work / "runs/quickstart/model/eval/results.json").read_text())
    print(f"\nwall time: {wall / 60:.1f} min (install + collect + train + eval)\n")
    print(results["table"])


if __name__ == "__main__":
    main()
