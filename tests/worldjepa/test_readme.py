"""Every command and Python example in the README runs, at tiny sizes, in a scratch directory.

Fenced ``bash`` blocks run line by line through the CLI, with tiny-size overrides appended per
command (later overrides win); the ``python`` block runs with its sizes shrunk by the
substitutions below (each must apply, so the README and this test cannot drift apart). Commands
quoted inline in the prose are composed (keys and values checked) but not run.
"""

import re
import shlex
import textwrap
from pathlib import Path

import pytest
from tiny_run import TINY_MODEL

from worldjepa.cli import USAGE, main

README = Path(__file__).resolve().parents[2] / "README.md"
TINY = {
    "collect": ["episodes=6", "image_size=32", "commit_every=3"],
    "train": [
        "steps=4",
        "data.batch_size=8",
        "log_every=2",
        "val_every=4",
        "ckpt_every=4",
        "loss.num_proj=16",
        *TINY_MODEL,
    ],  # fmt: skip
    "eval": [
        "episodes=2",
        "budget=6",
        "planner.num_samples=8",
        "planner.num_iters=1",
        "video_max=1",
        "points=2",
        "error_episodes=1",
    ],
    "probe": ["max_episodes=2", "stride=20", "probes=[linear]"],
    "surprise": ["episodes=1"],
    "gallery": ["env=worldjepa/TwoRoom-v0", "image_size=16", "out=gallery"],
}
# quickstart: each stage's tiny overrides under its prefix (+key -> +train.key)
TINY["quickstart"] = [
    f"{'+' if o.startswith('+') else ''}{stage}.{o.lstrip('+')}"
    for stage in ("collect", "train", "eval")
    for o in TINY[stage]
    if not o.startswith("video")
] + ["collect.num_envs=1"]
PYTHON_SUBSTITUTIONS = {
    '"episodes=20"': '"episodes=2", "budget=6", "planner.num_iters=1"',
    "steps=500": "steps=2",
}
# A user's own env module, as `env=mypackage.envs:MyEnv-v0` expects one.
USER_MODULE = """
import gymnasium
gymnasium.register("MyEnv-v0", entry_point="gymnasium.envs.mujoco.inverted_pendulum_v5:InvertedPendulumEnv",
                   max_episode_steps=30)
"""


def fenced(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README.read_text(), flags=re.S)


def commands(block: str) -> list[list[str]]:
    """`worldjepa ...` lines of a bash block (a chained line contributes its worldjepa part)."""
    out = []
    for line in block.splitlines():
        line = line.split("  #")[0].strip()
        if "worldjepa " not in line:
            continue
        part = line[line.index("worldjepa ") :] if not line.startswith("worldjepa") else line
        out.append(shlex.split(part.split("&&")[0])[1:])
    return out


def tiny(argv: list[str]) -> list[str]:
    command = argv[0]
    if "--help" in argv or "--cfg" in argv:
        return argv
    extra = list(TINY.get(command, []))
    if command == "train" and "--resume" in argv:
        extra[0] = "steps=6"  # continue past the first run's 4 steps
    if command == "eval":  # a saved step of the README's run is one of the tiny run's (it saves step 4)
        argv = [re.sub(r"/checkpoints/\d+$", "/checkpoints/4", a) for a in argv]
    if command == "eval" and "video=true" in argv:
        extra = [e for e in extra if not e.startswith("budget")]  # a video of the default 50 steps
    return [*argv, *extra]


def test_every_readme_command_and_python_example_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mypackage").mkdir()
    (tmp_path / "mypackage" / "__init__.py").write_text("")
    (tmp_path / "mypackage" / "envs.py").write_text(USER_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    blocks = [commands(b) for b in fenced("bash")]
    first, *rest = [b for b in blocks if b]
    assert first == [["quickstart"]], "the README's first command is the main job"
    # The main job first (the Python example reads its run), then the blocks in dependency order:
    # the Commands block records the datasets the Data block merges.
    order = sorted(rest, key=lambda b: {"envs": 0, "data": 1}.get(b[0][0], 2))
    for argv in [first[0], *(argv for b in order for argv in b)]:
        assert main(tiny(argv)) == 0, " ".join(argv)
        capsys.readouterr()
    assert list((tmp_path / "runs" / "tworoom" / "eval" / "videos").glob("*.mp4"))
    (python,) = fenced("python")
    for old, new in PYTHON_SUBSTITUTIONS.items():
        assert old in python, f"README's Python example no longer has {old!r}; update PYTHON_SUBSTITUTIONS"
        python = python.replace(old, new)
    namespace: dict = {}
    exec(compile(textwrap.dedent(python), "README.md", "exec"), namespace)
    assert namespace["z"].shape == (2, 16) and namespace["action"].shape == (1, 2)
    assert [s["policy"] for s in namespace["results"]["summary"]] == ["mpc", "random", "noop"]


def inline_commands() -> list[str]:
    text = re.sub(r"```.*?```", "", README.read_text(), flags=re.S)
    spans = re.findall(r"`(worldjepa [^`]+)`", text)
    runnable = [s for s in spans if "<" not in s and "..." not in s and "|" not in s]
    return [s for s in runnable if not s.split()[1].endswith(":")]  # not a quoted error message


@pytest.mark.parametrize("span", inline_commands())
def test_inline_readme_commands_compose(span):
    from worldjepa.cli import parse_args
    from worldjepa.commands import COMMANDS
    from worldjepa.config import compose

    argv = shlex.split(span)[1:]
    assert argv[0] in COMMANDS, span
    overrides, _ = parse_args(COMMANDS[argv[0]], [a for a in argv[1:] if a not in ("--help", "--cfg", "-m")])
    compose(argv[0], [o for o in overrides if "," not in o or "[" in o])  # sweep values compose one by one


def test_the_usage_example_runs(tmp_path, monkeypatch, capsys):
    """`worldjepa --help` shows `worldjepa train data=data/tworoom ...`: it must run."""
    monkeypatch.chdir(tmp_path)
    example = re.search(r"`(worldjepa train [^`]+)`", USAGE).group(1)
    assert "data=data/tworoom" in example
    assert main(tiny(["collect", "out=data/tworoom"])) == 0
    # small for any encoder; float32: bf16 autocast makes the ViT ~50x slower on CPUs without AMX
    small = ["steps=2", "data.batch_size=4", "loss.num_proj=16", "val_every=2", "amp=none", "out=runs/usage"]
    assert main([*shlex.split(example)[1:], *small]) == 0
