"""One typed source per command: the CLI composes exactly the library's dataclass defaults, groups
swap whole blocks, shorthands rewrite, help covers every key, and bad values name their range."""

import dataclasses

import pytest

from worldjepa.commands import COMMANDS
from worldjepa.config import compose, compose_node, config_class, format_help, validate
from worldjepa.config.helptext import help_rows
from worldjepa.errors import ConfigError

# What quickstart's preset (configs/presets/quickstart.yaml) changes from the stages' defaults.
QUICKSTART_PRESET = {
    ("collect", "out"): "runs/quickstart/data",
    ("collect", "num_envs"): 2,
    ("train", "out"): "runs/quickstart/model",
    ("train", "steps"): 800,
    ("eval", "checkpoint"): "runs/quickstart/model",
}


@pytest.mark.parametrize("command", [c for c in COMMANDS if c != "quickstart"])
def test_the_cli_composes_the_library_defaults(command):
    cls = config_class(command)
    assert compose(command) == cls()


def test_quickstart_is_its_stages_defaults_plus_its_preset():
    from worldjepa.commands.quickstart import QuickstartConfig

    cfg, default = compose("quickstart"), QuickstartConfig()
    default.train.data.path = "runs/quickstart/data"
    default.train.optim.lr = 0.002
    for (stage, key), value in QUICKSTART_PRESET.items():
        assert getattr(getattr(cfg, stage), key) == value
        setattr(getattr(default, stage), key, value)
    assert cfg == default


def test_python_callers_get_the_cli_model():
    """`train(TrainConfig())` from Python builds the model `worldjepa train` builds."""
    from worldjepa.training import TrainConfig

    m = TrainConfig().model
    assert (m.latent_dim, m.predictor_dim, m.predictor_depth) == (128, 128, 4)
    assert m.image_size is None and m.action_dim is None and m.frameskip is None  # filled from data


def test_planner_group_replaces_the_whole_block():
    from worldjepa.planners import CEMConfig, MPPIConfig

    assert compose("eval").planner == CEMConfig()
    cfg = compose("eval", ["planner=mppi", "planner.temperature=0.5"])
    assert cfg.planner == MPPIConfig(temperature=0.5)
    assert compose("eval", ["planner.name=mppi"]).planner == MPPIConfig()  # the documented form
    assert compose("quickstart", ["eval.planner=icem"]).eval.planner.name == "icem"
    with pytest.raises(ConfigError, match="planner.num_elites.*MPPIConfig"):
        compose("eval", ["planner=mppi", "planner.num_elites=3"])  # CEM's key does not carry over


def test_shorthands_and_mapping_keys():
    assert compose("train", ["data=some/where"]).data.path == "some/where"
    assert compose("data", ["from=hdf5"]).source == "hdf5"
    cfg = compose("train", ["model.encoder_kwargs.channels=[8,16]", "model.encoder_kwargs.channels=[4]"])
    assert cfg.model.encoder_kwargs == {"channels": [4]}


def test_python_built_configs_are_validated_too():
    from worldjepa.collection import CollectConfig
    from worldjepa.training import TrainConfig

    with pytest.raises(ConfigError, match=r"commit_every=0: must be >= 1"):
        CollectConfig(commit_every=0)
    cfg = TrainConfig()
    cfg.optim.lr = -1.0  # edited after construction: train() validates again
    with pytest.raises(ConfigError, match=r"optim.lr=-1.0: must be > 0"):
        validate(cfg)
    with pytest.raises(ConfigError, match="steps=10: expected int"):
        TrainConfig(steps="10")


@pytest.mark.parametrize("command", list(COMMANDS))
def test_help_describes_every_key(command, capsys):
    cls = config_class(command)
    text = format_help(command, COMMANDS[command].help, cls)
    leaves = {key for key, _, _ in help_rows(cls)}
    for key, _default, description in help_rows(cls):
        assert description and not description.startswith("["), f"{command}: {key} has no description"
    composed = dataclasses.asdict(compose(command))

    def flat(d, prefix=""):
        for k, v in d.items():
            if isinstance(v, dict) and k not in ("encoder_kwargs", "policy_kwargs", "physics", "colors"):
                yield from flat(v, f"{prefix}{k}.")
            else:
                yield prefix + k

    shown = {v: k for k, v in getattr(cls, "__aliases__", {}).items()}  # `from=` is shown, not `source`
    keys = {shown.get(k, k) for k in flat(composed)}
    assert keys <= leaves, keys - leaves
    assert all(key in text for key in leaves)


def test_slurm_launcher_config_composes():
    """hydra-submitit-launcher (worldjepa[slurm]) plugs into -m sweeps; nothing is launched."""
    node = compose_node(
        "train", ["hydra/launcher=submitit_slurm", "hydra.launcher.partition=gpu"], hydra=True
    )
    assert node.hydra.launcher._target_.endswith("SlurmLauncher")
    assert node.hydra.launcher.partition == "gpu"
