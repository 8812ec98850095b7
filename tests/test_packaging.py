"""Every package folder ships: pyproject's explicit package list must name them all."""

from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser as the tomli package (dev extra)
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {
    "worldjepa": "worldjepa",
    "worldjepa.envs": "envs",
    "worldjepa.datasets": "datasets",
    "worldjepa.planners": "planners",
    "worldjepa.configs": "configs",
}


def test_all_subpackages_are_listed():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = set()
    for name, folder in FOLDERS.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((name, *rel)))
    assert found <= listed, f"add to pyproject [tool.setuptools] packages: {sorted(found - listed)}"
