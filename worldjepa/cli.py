"""`worldjepa <command> [hydra overrides]`: one entry point for the whole pipeline.

Each command composes ``configs/<command>.yaml`` with the overrides given and calls a
library function. Command modules are imported only when run, so ``--help`` is instant.
User errors (``WorldJEPAError``) print one clear line and exit 2, never a traceback.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass

from worldjepa import __version__


@dataclass(frozen=True)
class Command:
    module: str  # worldjepa.commands.<module> exposes run(cfg) -> int | None
    help: str
    positional: str | None = None  # config key that a bare positional argument sets


COMMANDS: dict[str, Command] = {
    "quickstart": Command("quickstart", "collect -> train -> eval on TwoRoom, sized for a CPU machine"),
    "collect": Command("collect", "record expert/random rollouts of an env into a Lance dataset"),
    "train": Command("train", "train a JEPA world model (encoder + AdaLN predictor, SIGReg)"),
    "eval": Command("eval", "plan with a checkpoint (MPC/CEM) on held-out start/goal pairs"),
    "probe": Command("probe", "probe a checkpoint's latents for physical quantities (R² vs baselines)"),
    "surprise": Command(
        "surprise", "predictor error at injected violations (teleport, colour, physics): ROC AUC"
    ),
    "envs": Command("envs", "list the registered environments"),
    "factors": Command("factors", "print an env's factors of variation", positional="env"),
    "gallery": Command("gallery", "render each env's scene under every factor at OOD (PNG strips)"),
    "data": Command(
        "data", "inspect | preview | merge | split | compact | import | export | convert datasets"
    ),
}

USAGE = f"""worldjepa {__version__}: JEPA world models from pixels, trained with SIGReg.

usage: worldjepa <command> [key=value ...] [--cfg] [--resume]

commands:
{chr(10).join(f"  {name:<11} {c.help}" for name, c in COMMANDS.items())}

Overrides use Hydra syntax, e.g. `worldjepa train data=data/tworoom steps=500 model.encoder=vit_tiny`.
`--cfg` prints the composed config and exits; `--resume` continues training from out_dir.
"""


def parse_args(argv: list[str]) -> tuple[str, list[str], bool]:
    """argv (without the program name) -> (command, hydra overrides, print_cfg)."""
    command, rest = argv[0], argv[1:]
    spec = COMMANDS[command]
    overrides, print_cfg = [], False
    for arg in rest:
        if arg == "--cfg":
            print_cfg = True
        elif arg == "--resume":
            overrides.append("resume=true")
        elif "=" not in arg and not arg.startswith("-") and spec.positional:
            overrides.append(f"{spec.positional}={arg}")
        else:
            overrides.append(arg)
    return command, overrides, print_cfg


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
    if any(a in ("-h", "--help") for a in argv[1:]):
        print(
            f"worldjepa {argv[0]}: {COMMANDS[argv[0]].help}\n\nits config (override any key with key=value):"
        )
        argv = [argv[0], "--cfg"]

    from worldjepa.errors import WorldJEPAError

    command, overrides, print_cfg = parse_args(argv)
    _setup_logging()
    try:
        module = importlib.import_module(f"worldjepa.commands.{COMMANDS[command].module}")
        if print_cfg and hasattr(module, "print_config"):
            module.print_config(overrides)
            return 0
        if print_cfg:
            from omegaconf import OmegaConf

            from worldjepa.config import compose

            print(OmegaConf.to_yaml(compose(command, overrides)))
            return 0
        return int(module.main(overrides) or 0)
    except WorldJEPAError as exc:
        print(f"worldjepa {command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\nworldjepa {command}: interrupted", file=sys.stderr)
        return 130


def _setup_logging() -> None:
    import logging

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
