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


LAZY_PACKAGES = ["worldjepa", "worldjepa.config", "worldjepa.losses", "worldjepa.models", "worldjepa.planners",
                 "worldjepa.datasets"]  # fmt: skip


def test_lazy_packages_name_their_exports_for_type_checkers():
    """Each lazy ``__init__`` imports, under TYPE_CHECKING, exactly what it exports at run time,
    and those imports resolve (IDEs and type checkers follow them)."""
    import ast
    import importlib

    for name in LAZY_PACKAGES:
        package = importlib.import_module(name)
        tree = ast.parse(Path(package.__file__).read_text())
        block = next(
            n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING"
        )
        typed = {}
        for node in block.body:
            for alias in node.names:
                typed[alias.asname or alias.name] = node.module
        exported = set(package._EXPORTS)
        assert exported <= set(typed), (
            f"{name}: exported but not under TYPE_CHECKING: {exported - set(typed)}"
        )
        for attr, module in typed.items():
            assert getattr(importlib.import_module(module), attr) is getattr(package, attr), f"{name}.{attr}"
    assert (ROOT / "worldjepa" / "py.typed").exists()
