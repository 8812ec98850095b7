"""`worldjepa <command> [key=value ...]`: one entry point for the whole pipeline.

Each command's config is a dataclass tree (``worldjepa.commands.COMMANDS`` names it), composed
with Hydra overrides; ``-m`` sweeps over comma-separated values. Command modules are imported
only when run, so ``--help`` is instant. User errors (``WorldJEPAError``) print one line and exit
2, never a traceback.
"""

from __future__ import annotations

import importlib
import os
import sys

from worldjepa import __version__
from worldjepa.commands import COMMANDS, Command

USAGE = f"""worldjepa {__version__}: JEPA world models from pixels, trained with SIGReg.

usage: worldjepa <command> [key=value ...] [--cfg] [--resume] [-m]

commands:
{chr(10).join(f"  {name:<11} {c.help}" for name, c in COMMANDS.items())}

Overrides use Hydra syntax, e.g. `worldjepa train data=data/tworoom steps=500 model.encoder=vit_tiny`.
`worldjepa <command> --help` lists every key with its default and valid values; `--cfg` prints the
composed config; `--resume` continues training in out; `-m seed=0,1 loss.sigreg_weight=0.03,0.09`
runs every combination (one output directory per job).
"""


FLAGS = ("--cfg", "--resume", "-m", "--multirun", "-h", "--help")


def parse_args(spec: Command, rest: list[str]) -> tuple[list[str], dict[str, bool]]:
    """argv after the command -> (Hydra overrides, flags {cfg, multirun}). Bare arguments fill
    ``spec.positional`` keys in order; a key ending in '...' takes every remaining one (a list)."""
    import difflib

    from worldjepa.errors import ConfigError

    overrides, flags, bare = [], {"cfg": False, "multirun": False}, []
    for arg in rest:
        if arg == "--cfg":
            flags["cfg"] = True
        elif arg in ("-m", "--multirun"):
            flags["multirun"] = True
        elif arg == "--resume":
            overrides.append("resume=true")
        elif arg.startswith("-") and "=" not in arg:
            close = difflib.get_close_matches(arg, FLAGS, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise ConfigError(f"unknown flag '{arg}'; {hint}flags: --cfg, --resume, -m, --help")
        elif "=" not in arg and not arg.startswith("~"):
            bare.append(arg)
        else:
            overrides.append(arg)
    keys = spec.positional.split(",") if spec.positional else []
    takes_rest = bool(keys) and keys[-1].endswith("...")
    if len(bare) > len(keys) and not takes_rest:
        what = f"{len(keys)} bare argument ({keys[0]})" if keys else "no bare arguments, only key=value"
        raise ConfigError(f"worldjepa {spec.module} takes {what}; got {len(bare)}: {' '.join(bare)}")
    for i, key in enumerate(keys):
        if key.endswith("..."):
            values = bare[i:]
            overrides.append(f"{key[:-3]}=[{','.join(_quote(v) for v in values)}]")
            bare = bare[:i]
            break
        if i < len(bare):
            overrides.append(f"{key}={_quote(bare[i])}")
    return overrides, flags


def _quote(value: str) -> str:
    """A bare path as a Hydra value: quoted when it holds characters Hydra would parse."""
    if all(c.isalnum() or c in "/._-~" for c in value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0
    if argv[0] == "--version":
        print(__version__)
        return 0
    if argv[0] not in COMMANDS:
        print(f"worldjepa: unknown command '{argv[0]}'; available: {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    command, spec = argv[0], COMMANDS[argv[0]]
    from worldjepa.errors import WorldJEPAError

    _setup_logging()
    try:
        if any(a in ("-h", "--help") for a in argv[1:]):
            from worldjepa.config import compose, config_class, format_help
            from worldjepa.sweep import OUT_KEYS

            overrides, _ = parse_args(spec, [a for a in argv[1:] if a not in ("-h", "--help")])
            cls = config_class(command)
            current = compose(command, overrides)  # presets and `planner=mppi --help` show
            print(
                format_help(
                    command, spec.help, cls, spec.positional, sweeps=command in OUT_KEYS, current=current
                )
            )
            return 0
        overrides, flags = parse_args(spec, argv[1:])
        if flags["multirun"]:
            from worldjepa.sweep import run_sweep

            return run_sweep(command, overrides, print_configs=flags["cfg"])
        from worldjepa.config import compose

        module = importlib.import_module(f"worldjepa.commands.{spec.module}")
        prepare = getattr(module, "prepare", None)  # e.g. train --resume: start from the checkpoint
        cfg = compose(command, prepare(overrides) if prepare else overrides)
        if flags["cfg"]:
            import dataclasses

            import yaml

            print(yaml.safe_dump(dataclasses.asdict(cfg), sort_keys=False), end="")
            return 0
        rc = module.main(cfg)  # a command returns its exit code, or its result (then 0)
        return rc if isinstance(rc, int) and not isinstance(rc, bool) else 0
    except WorldJEPAError as exc:
        print(f"worldjepa {command}: error: {one_line(exc)}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`worldjepa data inspect ... | head`): stop quietly, like a
        # Unix tool killed by SIGPIPE; point stdout at devnull so the final flush cannot fail.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        print(f"\nworldjepa {command}: interrupted", file=sys.stderr)
        return 130


def one_line(exc: BaseException) -> str:
    return "; ".join(line.strip() for line in str(exc).strip().splitlines() if line.strip())


def _setup_logging() -> None:
    import logging
    import warnings

    # Under torchrun, rank 0 speaks for the run; the other ranks say only what goes wrong.
    level = logging.INFO if os.environ.get("RANK", "0") == "0" else logging.WARNING
    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr)
    logging.getLogger("OpenGL").setLevel(logging.WARNING)  # "No OpenGL_accelerate module loaded"
    # Our subprocesses (ffmpeg, forkserver workers) exec at once: Lance's fork warning does not apply.
    warnings.filterwarnings("ignore", message="lance is not fork-safe")
    # glfw warns (DISPLAY missing) before MuJoCo's own error, which says what to do in one line.
    warnings.filterwarnings("ignore", module="glfw")


if __name__ == "__main__":
    sys.exit(main())
