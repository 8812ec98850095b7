"""`worldjepa factors <env>`: each factor's kind, default, training and OOD ranges."""

from dataclasses import dataclass

from worldjepa.config.fields import Validated, opt


@dataclass
class FactorsConfig(Validated):
    env: str = opt("worldjepa/TwoRoom-v0", "the env whose factors to print (also: worldjepa factors <env>)")


def _fmt(v) -> str:
    if isinstance(v, (list, tuple)):
        return "(" + ", ".join(f"{x:g}" for x in v) + ")"
    return f"{v:g}"


def main(cfg: FactorsConfig) -> int:
    from worldjepa.envs import env_factor_space

    space = env_factor_space(cfg.env)
    if not len(space):
        print(f"{cfg.env} has no factors of variation (every episode is recorded the same way)")
        return 0
    rows = [("factor", "kind", "default", "train range", "OOD range")]
    for row in space.describe():
        rows.append(
            (
                row["name"],
                row["kind"],
                _fmt(row["default"]),
                f"{_fmt(row['train'][0])} .. {_fmt(row['train'][1])}",
                f"{_fmt(row['ood'][0])} .. {_fmt(row['ood'][1])}",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print(f"{cfg.env}")
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    return 0
