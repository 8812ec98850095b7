"""Every bad input gets one line that names the problem and the fix, exit code 2, no traceback.

``ISSUE`` is the list the front-door issue named; ``MORE`` are further inputs tried the same way.
Each case fails before any work is done (nothing is recorded, trained or planned).
"""

import subprocess
import sys

import pytest

from worldjepa.cli import main

# (argv with {tmp} for a scratch dir and {file} for a regular file, a substring of the error)
ISSUE = [
    # unknown names
    (["collect", "policy=nope"], "policy=nope: must be one of: expert"),
    (["eval", "planner.name=bogus"], "planner=bogus: unknown planner; available: cem"),
    (["train", "model.encoder=bogus"], "model.encoder=bogus: must be one of: cnn, vit_tiny"),
    # wrong types
    (["train", "steps=abc"], "steps=abc: expected int >= 1"),
    (["collect", "episodes=abc"], "episodes=abc: expected int >= 1"),
    (["train", "seed=abc"], "seed=abc: expected int >= 0"),
    (["collect", "factors=5"], "factors=5: unknown factor split '5'"),
    (["collect", "factors=null"], "factors=null: expected str"),
    # bad numbers
    (["collect", "seed=-1"], "seed=-1: must be >= 0"),
    (["collect", "commit_every=0", "out={tmp}/data"], "commit_every=0: must be >= 1"),
    (["train", "data.batch_size=0"], "data.batch_size=0: must be >= 1"),
    (["train", "optim.lr=-1"], "optim.lr=-1.0: must be > 0"),
    (["train", "model.latent_dim=0"], "model.latent_dim=0: must be >= 1"),
    (["eval", "horizon=0"], "horizon=0: must be in [1, 256]"),
    (["eval", "planner.num_samples=0"], "planner.num_samples=0: must be >= 2"),
    (
        ["eval", "planner.num_samples=16", "planner.num_elites=32"],
        "planner.num_elites=32: must be <= num_samples (16)",
    ),
    (["eval", "budget=0"], "budget=0: must be >= 1"),
    (["eval", "policies=[]"], "policies=[]: name at least one policy"),
    (["eval", "episodes=-5"], "episodes=-5: must be >= 1"),
    # devices
    (["train", "device=bogus"], "device=bogus: must be one of: auto, cpu, cuda, cuda:N, mps"),
    # paths that cannot be written
    (["collect", "out={file}/data"], "out={file}/data: cannot write there"),
    (["train", "out={file}/run"], "out={file}/run: cannot write there"),
    (["data", "import", "{tmp}", "{file}/imported"], "destination={file}/imported: cannot write there"),
    (
        ["data", "export", "{tmp}", "{file}/out.h5", "to=hdf5"],
        "destination={file}/out.h5: cannot write there",
    ),
]

MORE = [
    (["fly"], "unknown command 'fly'"),
    # the training core and collecting at scale
    (["collect", "shard=3/2"], "shard=3/2: must be i/N with 0 <= i < N"),
    (["collect", "shard=a/b"], "shard=a/b: must be i/N, e.g. 0/4"),
    (["collect", "shard=0/2", "mode=overwrite"], "mode=overwrite would delete their episodes"),
    (["train", "logger=bogus"], "logger=bogus: must be one of: csv, tensorboard, wandb"),
    (["train", "nproc=0"], "nproc=0: must be >= 1"),
    (["train", "keep_last=-1"], "keep_last=-1: must be >= 0"),
    (["train", "eval_every=-2"], "eval_every=-2: must be >= -1"),
    (["train", "loss.regulariser=vicreg"], "loss.regulariser=vicreg: must be one of: ema, none, sigreg"),
    (
        ["train", "recipe=dino"],
        "recipe=dino: must be one of: ema, lewm, none, pldm, randomized",
    ),
    (["train", "loss.rollout_steps=4"], "loss.rollout_steps=4: must be below data.num_steps (4)"),
    (
        ["train", "loss.rollout_steps=2", "loss.rollout_weights=[1.0]"],
        "needs one weight per rollout step (2)",
    ),
    (["train", "data.per_episode=3"], "data.per_episode=3 must divide data.batch_size=64"),
    (["train", "loss.regulariser=sigreg_episode"], "set data.per_episode to 2 or more"),
    (["train", "data.augment=[colour_jitter]"], "'colour_jitter' is not one of:"),
    (["train", "nokey=1"], "unknown key 'nokey' in the train config"),
    (["train", "model.latnt_dim=3"], "did you mean 'model.latent_dim'?"),
    (["train", "+foo=1"], "unknown key 'foo'"),
    (["train", "x=["], "cannot parse the override 'x=['"),
    (
        ["eval", "planner=mppi", "planner.num_elites=3"],
        "unknown key 'planner.num_elites' in 'planner' (MPPIConfig)",
    ),
    (["eval", "planner=mppi", "planner.temperature=abc"], "planner.temperature=abc: expected float > 0"),
    (["eval", "planner=grad", "planner.lr=0"], "planner.lr=0.0: must be > 0"),
    (["eval", "replan_every=9"], "replan_every=9: must be <= horizon (8)"),
    (["eval", "cost=last"], "cost=last: must be one of:"),
    (["eval", "protocol=nope"], "protocol=nope: must be one of: offset, task"),
    (["eval", "policies=[mpc,oracle]"], "'oracle' is not one of:"),
    (["eval", "protocol=task", "factors=weird"], "factors=weird: unknown factor split"),
    (["eval", "amp=fp8"], "amp=fp8: must be one of: bf16, none"),
    (["eval", "video_max=-1"], "video_max=-1: must be >= 0"),
    (["eval", "checkpoint={tmp}/missing"], "not a checkpoint directory"),
    (["collect", "image_size=4"], "image_size=4: must be in [8, 1024]"),
    (["collect", "num_envs=0"], "num_envs=0: must be >= 1"),
    (["collect", "mode=replace"], "mode=replace: must be one of: create, append, overwrite"),
    (["collect", "env=worldjepa/Nope-v0"], "unknown env 'worldjepa/Nope-v0'"),
    (
        ["collect", "policy=random", "policy_kwargs={{noise:0.3}}", "out={tmp}/d"],
        "policy random takes no arguments",
    ),
    (["train", "data.num_steps=1"], "data.num_steps=1: must be >= 2"),
    (["train", "data.num_steps=3"], "data.num_steps=3: must be at least model.num_hist + 1 (4)"),
    (["train", "data.workers=gpu"], "data.workers=gpu: must be one of: thread, process"),
    (["train", "data.val_fraction=1.0"], "data.val_fraction=1.0: must be in [0, 1)"),
    (["train", "model.predictor_heads=3"], "model.predictor_heads=3: must divide predictor_dim (128)"),
    (["train", "model.image_size=64"], "model.image_size=64: comes from the dataset"),
    (["train", "loss.idm_weight=0.1"], "needs an inverse-dynamics head"),
    (["train", "loss.sigreg_weight=-0.1"], "loss.sigreg_weight=-0.1: must be >= 0"),
    (["train", "amp=fp16"], "amp=fp16: must be one of: bf16, none"),
    (["train", "device=cuda:x"], "device=cuda:x: must be one of"),
    (["train", "data.path={tmp}/nothing", "out={tmp}/run"], "nothing"),
    (["probe", "features=[]"], "features=[]: name at least one feature set"),
    (["probe", "features=[modle]"], "'modle' is not one of:"),
    (["probe", "stride=0"], "stride=0: must be >= 1"),
    (["surprise", "event=1.5"], "event=1.5: must be in (0, 1)"),
    (["surprise", "violations=[warp]"], "'warp' is not one of:"),
    (["quickstart", "train.steps=0"], "train.steps=0: must be >= 1"),
    (["quickstart", "eval.planner=bogus"], "planner=bogus: unknown planner"),
    (["data", "explode", "{tmp}"], "subcommand=explode: must be one of"),
    (["data", "inspect"], "needs a dataset path"),
    (["data", "inspect", "{tmp}/nope"], "does not exist"),
    (["data", "merge", "{tmp}"], "needs out="),
    (["data", "export", "{tmp}", "{tmp}/x", "to=tiff"], "to=tiff: must be one of"),
    (["factors", "worldjepa/Nope-v0"], "unknown env 'worldjepa/Nope-v0'"),
    (["gallery", "env=Nope-v0", "out={tmp}/g"], "env=Nope-v0: the gallery renders the built-in envs"),
    (["gallery", "image_size=0"], "image_size=0: must be in [8, 1024]"),
    (["envs", "verbose=true"], "unknown key 'verbose'"),
    # found by a new-user review (each was a traceback, a silent acceptance or misleading advice)
    (["train", "=5"], "cannot parse the override '=5'"),
    (["train", "~steps"], "~steps: keys cannot be removed"),
    (["train", "--resum"], "unknown flag '--resum'; did you mean --resume?"),
    (["factors", "worldjepa/TwoRoom-v0", "worldjepa/Cube-v0"], "factors takes 1 bare argument (env); got 2"),
    (["envs", "--resume"], "worldjepa envs takes no keys"),
    (["train", "optim.lr=nan"], "optim.lr=nan: must be a finite number"),
    (["train", "optim.lr=inf"], "optim.lr=inf: must be a finite number"),
    (["train", "model.predictor_dim=6", "model.predictor_heads=2"], "rotary positions need an even number"),
    (["eval", "horizon=100000"], "horizon=100000: must be in [1, 256]"),
    (["eval", "planner=[cem]"], "planner=[cem]: choose one planner"),
    (["eval", "policies=[mpc,mpc]"], "policies=[mpc,mpc]: names a policy twice"),
    (["eval", "factors=ood"], "factors=ood: applies to protocol=task"),
    (["collect", "out="], "out=: must be a non-empty path"),
    (["collect", "policy_kwargs={{noise:abc}}", "out={tmp}/d"], "policy tworoom_expert refuses it"),
    (["collect", "policy_kwargs={{noise:-1}}", "out={tmp}/d"], "policy tworoom_expert refuses it"),
    (["collect", "env=os:Foo-v0"], "module 'os' was imported but registers no env 'Foo-v0'"),
    (["collect", "env=TwoRoom-v0"], "did you mean worldjepa/TwoRoom-v0?"),
    (["collect", "env=nosuchmod:Foo-v0"], "cannot import module 'nosuchmod'"),
    (
        ["data", "preview", "{tmp}", "out=grid.txt"],
        "out=grid.txt: a preview is a video; name it .mp4 or .gif",
    ),
    (["data", "preview", "{tmp}", "scale=100"], "scale=100: must be in [1, 16]"),
    (["data", "merge", "{tmp}", "{tmp}", "out={tmp}/m"], "names a dataset twice"),
    (["train", "seed=0,1"], "seed=0,1: a comma list is a sweep; add -m"),
    (["quickstart", "colect.episodes=3"], "did you mean 'collect.episodes'?"),
    (["collect", "env=tworoom-v0"], "did you mean worldjepa/TwoRoom-v0?"),
    (
        ["collect", "env=Reacher-v5", "policy=random", "factors=ood", "out={tmp}/r"],
        "Reacher-v5 has no factors of variation",
    ),
]


def _run(argv, tmp_path, capsys, **paths):
    """Run ``argv`` with {tmp}, {file} (a regular file) and ``paths`` filled in -> (rc, stderr, values)."""
    file = tmp_path / "a_file"
    file.write_text("not a directory")
    fmt = dict(tmp=tmp_path, file=file, **paths)
    rc = main([a.format(**fmt) for a in argv])
    return rc, capsys.readouterr().err, fmt


def assert_one_line(rc, err, expected):
    lines = [line for line in err.splitlines() if line.strip()]
    assert rc == 2, err
    assert len(lines) == 1 and "Traceback" not in err, err
    assert expected in lines[0], lines[0]


@pytest.mark.parametrize(
    ("argv", "expected"), ISSUE + MORE, ids=lambda v: " ".join(v) if isinstance(v, list) else None
)
def test_bad_input_is_one_line(argv, expected, tmp_path, capsys):
    rc, err, fmt = _run(argv, tmp_path, capsys)
    assert_one_line(rc, err, expected.format(**fmt))


def test_a_rejected_recording_leaves_no_dataset(tmp_path, capsys):
    assert main(["collect", "commit_every=0", f"out={tmp_path / 'data'}"]) == 2
    assert not (tmp_path / "data" / "steps.lance").exists()


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="this machine has CUDA")
def test_cuda_on_a_cpu_only_torch(tmp_path, capsys):
    rc, err, _ = _run(["train", "device=cuda", "out={tmp}/run"], tmp_path, capsys)
    assert rc == 2 and "device=cuda: this torch" in err and "use device=cpu or device=auto" in err


def test_piping_into_head_exits_quietly(tmp_path):
    from worldjepa.datasets import DatasetWriter

    with DatasetWriter(tmp_path / "d", env_id="x", image_size=(8, 8), action_low=[-1], action_high=[1],
                       state_names=["s"], proprio_dim=0, fps=10.0) as w:  # fmt: skip
        import numpy as np

        for i in range(30):
            w.add_episode(pixels=np.zeros((3, 8, 8, 3), np.uint8), action=np.zeros((3, 1), np.float32),
                          proprio=np.zeros((3, 0), np.float32), state=np.zeros((3, 1), np.float32),
                          is_success=np.zeros(3, bool), seed=i, factors={})  # fmt: skip
    cmd = f"{sys.executable} -m worldjepa.cli data inspect {tmp_path / 'd'} | head -1"
    res = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=120)
    assert res.stdout.strip() and "BrokenPipe" not in res.stderr and "Traceback" not in res.stderr, res.stderr


@pytest.mark.parametrize("command", ["probe", "eval", "surprise"])
def test_commands_reading_a_checkpoint_refuse_an_unwritable_out(run, command, tmp_path, capsys):
    _, _, out, _, _ = run
    rc, err, fmt = _run([command, "checkpoint={run}", "out={file}/results"], tmp_path, capsys, run=out)
    assert_one_line(rc, err, "out={file}/results: cannot write there".format(**fmt))


def test_the_documented_policy_kwargs_form_works(tmp_path, capsys):
    """configs' old comment documented policy_kwargs={noise: 0.3}: it records with that noise."""
    from worldjepa.datasets import open_dataset

    args = ["collect", "episodes=1", "image_size=16", "policy_kwargs={noise: 0.05}"]
    assert main([*args, f"out={tmp_path / 'd'}"]) == 0
    assert open_dataset(tmp_path / "d").meta["extra"]["policy_kwargs"] == {"noise": 0.05}


# Cases that need a recorded dataset and a checkpoint ({data}, {run}: the session's tiny run).
WITH_RUN = [
    (
        ["eval", "checkpoint={run}", "data={small}"],
        "holds frames [16, 16] but the checkpoint was trained on [32, 32]",
    ),
    (["eval", "checkpoint={run}", "out={run}/checkpoints/last/eval"], "that is inside the checkpoint"),
    (["eval", "checkpoint={run}/checkpoints/999"], "is not a saved checkpoint; its saved steps are 10, 20"),
    (["train", "data.path={data}", "out={data}"], "that is the dataset"),
    (["collect", "out={data}/steps.lance/inner"], "that is inside the dataset"),
    (
        ["probe", "checkpoint={run}", "features=[pixels]", "pixel_size=1000", "out={tmp}/p"],
        "pixel_size=1000: must divide the frame size 32",
    ),
    (
        ["surprise", "checkpoint={run}", "physics={{nope: 1}}", "out={tmp}/s"],
        "physics={{nope: ...}}: not a factor it can change",
    ),
    (
        ["surprise", "checkpoint={run}", "colors={{agent_color: 5}}", "out={tmp}/s"],
        "colors={{agent_color: 5}}:",
    ),
    (
        ["train", "data.path={data}", "out={tmp}/refused", "data.batch_size=100000"],
        "data.batch_size=100000: the training split has only",
    ),
    (
        [
            "train",
            "data.path={data}",
            "out={tmp}/few",
            "data.per_episode=4",
            "loss.regulariser=sigreg_episode",
        ],
        "per_episode=4: a batch of 64 windows needs 16 episodes",
    ),
    (["train", "-m", "data.path={data}", "out={file}/sw", "seed=0,1"], "out={file}/sw: cannot write there"),
    (
        ["quickstart", "out_dir={tmp}/qs", "collect.image_size=8"],
        "model (encoder=cnn, 8 px frames): image_size 8 is not divisible",
    ),
    (
        ["collect", "out={data}", "episodes=1", "image_size=32"],
        "already holds a dataset; add to it with mode=append",
    ),
    (
        ["collect", "out={data}", "episodes=1", "image_size=32", "mode=append", "policy=random"],
        "was recorded with policy=expert",
    ),  # fmt: skip
    (["eval", "checkpoint={data}"], "is a dataset, not a checkpoint"),
    (["eval", "checkpoint={root}"], "holds 1 run (a sweep?); pick one"),
    (
        ["train", "data.path={small}", "out={run}", "--resume"],
        "it trained with image size [32, 32], this run has [16, 16]",
    ),
]


@pytest.mark.parametrize(
    ("argv", "expected"), WITH_RUN, ids=lambda v: " ".join(v) if isinstance(v, list) else None
)
def test_bad_input_with_data_is_one_line(run, small_dataset, argv, expected, tmp_path, capsys):
    _, data, out, _, _ = run
    rc, err, fmt = _run(argv, tmp_path, capsys, data=data, run=out, small=small_dataset, root=out.parent)
    assert_one_line(rc, err, expected.format(**fmt))
    assert not (tmp_path / "refused").exists()  # a refused command leaves no empty folder


@pytest.fixture(scope="module")
def small_dataset(tmp_path_factory):
    path = tmp_path_factory.mktemp("small") / "data"
    assert main(["collect", "episodes=2", "image_size=16", f"out={path}"]) == 0
    return path


def test_a_damaged_dataset_is_named_by_inspect(run, tmp_path, capsys):
    import shutil

    _, data, *_ = run
    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    fragment = sorted((copy / "steps.lance" / "data").iterdir())[0]
    fragment.write_bytes(fragment.read_bytes()[:1000])
    assert main(["data", "inspect", str(copy)]) == 2
    err = capsys.readouterr().err
    assert "steps.lance is damaged" in err and len(err.strip().splitlines()) == 1


def test_quickstart_refuses_a_dataset_recorded_otherwise(run, tmp_path, capsys):
    import shutil

    _, data, *_ = run
    shutil.copytree(data, tmp_path / "qs" / "data")  # 32 px TwoRoom episodes
    assert main(["quickstart", f"out_dir={tmp_path / 'qs'}", "collect.image_size=16"]) == 2
    assert (
        "was recorded with collect.image_size=[32, 32], this run asks for [16, 16]" in capsys.readouterr().err
    )


def test_a_sweep_with_cfg_prints_every_job_and_runs_none(run, tmp_path, capsys):
    _, data, *_ = run
    assert main(["train", "-m", "--cfg", f"data.path={data}", f"out={tmp_path / 'sw'}", "seed=0,1"]) == 0
    out = capsys.readouterr().out
    assert out.count("# job:") == 2 and "seed: 1" in out and not (tmp_path / "sw").exists()
    assert f"out: {tmp_path / 'sw' / 'seed-1'}" in out  # where each job will write
    # values that are paths name their jobs by number (a '/' would nest directories)
    assert main(["train", "-m", "--cfg", f"data.path={data},{data}", f"out={tmp_path / 'sw'}"]) == 0
    out = capsys.readouterr().out
    assert f"out: {tmp_path / 'sw' / '0'}" in out and f"out: {tmp_path / 'sw' / '1'}" in out


def test_a_bad_mujoco_gl_is_one_line(tmp_path):
    env = {**__import__("os").environ, "MUJOCO_GL": "bogus"}
    res = subprocess.run([sys.executable, "-m", "worldjepa.cli", "collect", "episodes=1", "image_size=16",
                          f"out={tmp_path / 'd'}"], capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert res.returncode == 2 and "MuJoCo cannot start with MUJOCO_GL=bogus" in res.stderr
    assert "Traceback" not in res.stderr


def test_python_api_misuse_names_the_fix(run):
    import numpy as np

    import worldjepa as wj
    from worldjepa.errors import ConfigError, DatasetError

    with pytest.raises(ConfigError, match="train takes a TrainConfig"):
        wj.train({"steps": 5})
    with pytest.raises(ConfigError, match="collect takes a CollectConfig"):
        wj.collect(wj.TrainConfig())
    with pytest.raises(ConfigError, match="overrides must be a list"):
        wj.compose("train", "steps=5")
    ck = wj.load(run[2])
    with pytest.raises(DatasetError, match=r"frame rows must be integers in \[0, 800\)"):
        ck.dataset().take_frames([10**6])
    frames = ck.dataset().take_frames(np.arange(2))
    policy = ck.policy()
    policy.reset(frames[:1])
    with pytest.raises(ValueError, match="act got 2 frames but reset had 1 goals"):
        policy.act(frames)
    with pytest.raises(ValueError, match="uint8"):
        policy.act(frames[:1].astype(np.float32))
