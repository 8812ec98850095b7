"""The training loop: pred MSE + lambda * SIGReg, end to end from pixels (no EMA, no stop-grad).

Reads like the recipe: build data -> build model -> AdamW with warmup + cosine -> loop, logging
every term the objective returns, the embedding's effective rank (collapse shows up there
first) and a held-out prediction loss; ``<out>/checkpoints/<step>/`` is written every
``ckpt_every`` steps and at the end, each with the full training state (optimizer, step, every
random generator, the sampler's position), so ``--resume`` continues bit for bit.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from pathlib import Path
from typing import Any

from worldjepa.datasets.storage import is_remote
from worldjepa.errors import CheckpointError, ConfigError, TrainingError
from worldjepa.training.config import TrainConfig
from worldjepa.training.logger import MetricsLogger
from worldjepa.training.monitor import CollapseCheck, fixed_val_batches, validate

log = logging.getLogger(__name__)


def build_preprocess(cfg: TrainConfig, ds, model_cfg, train_ids, val_ids) -> dict[str, Any]:
    """Everything a planner needs besides weights: it travels inside the checkpoint."""
    meta = ds.meta
    return {
        "env_id": meta["env_id"],
        "image_size": list(meta["image_size"]),
        "frameskip": cfg.data.frameskip,
        "num_hist": model_cfg.num_hist,
        "action_dim": ds.action_dim,
        "action_low": list(meta["action_low"]),
        "action_high": list(meta["action_high"]),
        "action_stats": ds.stats.get("action", {}),
        "proprio_stats": ds.stats.get("proprio", {}),
        "state_names": list(ds.state_names),
        "fps": meta.get("fps"),
        "pixel_normalisation": "x / 127.5 - 1",
        "dataset": str(cfg.data.path if is_remote(cfg.data.path) else Path(cfg.data.path).resolve()),
        "train_episodes": [int(i) for i in train_ids],
        "val_episodes": [int(i) for i in val_ids],
    }


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Linear warmup then cosine decay to ``min_lr_ratio * lr``."""
    o = cfg.optim
    if step < o.warmup_steps:
        return o.lr * (step + 1) / o.warmup_steps
    progress = min(1.0, (step - o.warmup_steps) / max(1, cfg.steps - o.warmup_steps))
    return o.lr * (o.min_lr_ratio + (1 - o.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


def make_model(cfg: TrainConfig, ds):
    """The model cfg.model describes, with the data-dependent fields taken from the dataset."""
    import torch

    h, w = ds.image_size
    if h != w:
        raise ConfigError(f"dataset frames are {h}x{w}; only square frames are supported")
    model_cfg = dataclasses.replace(
        cfg.model, image_size=h, action_dim=ds.action_dim, frameskip=cfg.data.frameskip
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)  # weight init is the one place torch's global RNG is used
        model = build_checked(model_cfg)
    stats = ds.stats.get("action")
    if stats:
        model.set_action_stats(torch.tensor(stats["mean"]), torch.tensor(stats["std"]))
    return model, model_cfg


def build_checked(model_cfg):
    """build_world_model, with the modules' own objections (frames the encoder cannot tile, an
    odd rotary head size, an unknown encoder argument) as one ConfigError line."""
    from worldjepa.models import build_world_model

    try:
        return build_world_model(model_cfg)
    except TypeError as exc:  # e.g. a misspelled or duplicated model.encoder_kwargs key
        raise ConfigError(f"model.encoder_kwargs={model_cfg.encoder_kwargs}: {exc}") from None
    except ValueError as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(
            f"model (encoder={model_cfg.encoder}, {model_cfg.image_size} px frames): {exc}"
        ) from None


def check_model_fits(cfg: TrainConfig, image_size: int) -> None:
    """Before recording data for it: can ``cfg.model`` be built for ``image_size`` px frames?"""
    build_checked(
        dataclasses.replace(cfg.model, image_size=image_size, action_dim=1, frameskip=cfg.data.frameskip)
    )


def train(cfg: TrainConfig) -> Path:
    """Train and return the last checkpoint dir (``<out>/checkpoints/<step>``).

    Under torchrun (``WORLD_SIZE`` > 1) every rank calls this: one model trains on all of them
    (DDP; gloo on CPU, nccl on GPU), each reading its shard of every global batch, and rank 0
    alone logs, validates and checkpoints."""
    from worldjepa.config import validate as validate_config
    from worldjepa.config.fields import expect
    from worldjepa.devices import resolve_device
    from worldjepa.training import distributed
    from worldjepa.training.recipes import ensure_applied

    expect(cfg, TrainConfig, "train")
    ensure_applied(cfg)  # TrainConfig(recipe="pldm") built in Python, not composed
    validate_config(cfg)  # also when the caller edited the dataclass after building it
    device = resolve_device(cfg.device)
    if cfg.nproc > 1 and distributed.launched_ranks() == 1:
        from worldjepa.training.launch import launch

        return launch(cfg)
    world = distributed.init(device)
    try:
        return _train(cfg, distributed.local_device(device, world), world)
    finally:
        distributed.shutdown(world)


def _train(cfg: TrainConfig, device, world) -> Path:
    import uuid

    import torch

    from worldjepa.checkpoint import load_training_state, load_weights, read_checkpoint_files
    from worldjepa.datasets import WindowDataset, infinite_batches, make_loader, open_dataset, split_episodes
    from worldjepa.losses import TrainStep
    from worldjepa.metrics import effective_rank
    from worldjepa.paths import writable_dir
    from worldjepa.progress import progress_bar
    from worldjepa.run_dir import LEGACY, last_checkpoint
    from worldjepa.training import distributed, rng
    from worldjepa.training.augment import augmenter
    from worldjepa.training.resume import first_difference, recipe, resumed_split, with_defaults

    _check_batches(cfg)
    out = writable_dir(cfg.out, "out")
    resume_from = last_checkpoint(out) if cfg.resume else None
    if cfg.resume and resume_from is None:
        raise CheckpointError(f"--resume given but {out} holds no checkpoint; start without --resume")
    if not cfg.resume and last_checkpoint(out) is not None:
        raise ConfigError(
            f"{out} already holds a checkpoint; pass --resume to continue it or choose another out="
        )
    ds = open_dataset(cfg.data.path)
    _warn_if_factors_vary(cfg, ds)
    if resume_from is not None:  # the same data and the same split as the run being continued
        train_ids, val_ids = resumed_split(resume_from, cfg, ds)
    else:
        train_ids, val_ids = split_episodes(ds.episode_ids, cfg.data.val_fraction, cfg.data.split_seed)
    window_kw = dict(num_steps=cfg.data.num_steps, frameskip=cfg.data.frameskip)
    train_ds = WindowDataset(cfg.data.path, episodes=train_ids, **window_kw)
    global_batch = cfg.data.batch_size * world.size
    if len(train_ds) < global_batch:
        per = f" ({world.size} ranks x {cfg.data.batch_size})" if world.size > 1 else ""
        raise ConfigError(
            f"data.batch_size={cfg.data.batch_size}: the training split has only {len(train_ds)} windows "
            f"({len(train_ids)} episodes) for a global batch of {global_batch}{per}; lower data.batch_size "
            "or record more episodes"
        )
    # Held-out windows carry their states too: the linear-probe monitor reads them.
    val_cols = ("pixels", "action", "state") if ds.state_names else ("pixels", "action")
    val_ds = (
        WindowDataset(cfg.data.path, episodes=val_ids, columns=val_cols, **window_kw)
        if len(val_ids) and world.main
        else None
    )

    model, model_cfg = make_model(cfg, ds)
    if world.size > 1:
        distributed.convert_batchnorm(model)  # statistics of the global batch, as one process at B
    model.to(device)
    step_module = TrainStep(model, cfg.loss).to(device)
    if cfg.compile:
        # The whole step, objective included: inductor then fuses the norms, activations and
        # SIGReg's trig around the convolutions (benchmarks/train_speed.py, CNN bf16: 1.48x
        # eager). In place, so the state dict keeps its keys; validation and planning run the
        # eager model.
        step_module.compile()
    optim = torch.optim.AdamW(model.parameters(), lr=cfg.optim.lr, weight_decay=cfg.optim.weight_decay)
    preprocess = build_preprocess(cfg, ds, model_cfg, train_ids, val_ids)
    resolved = {**dataclasses.asdict(cfg), "model": model_cfg.to_dict(), "resume": False,
                "global_batch_size": global_batch}  # fmt: skip
    sig_gen = torch.Generator(device=device)
    augment, aug_gen = augmenter(cfg.data.augment), torch.Generator(device=device)
    start_step, run_id = 0, uuid.uuid4().hex[:12]
    if resume_from is not None:
        saved_cfg, saved_pre = read_checkpoint_files(resume_from)
        # the statistics the model was normalised with, not the (maybe grown) dataset's
        preprocess.update({k: saved_pre[k] for k in ("action_stats", "proprio_stats") if k in saved_pre})
        saved_cfg.setdefault("global_batch_size", saved_cfg.get("data", {}).get("batch_size"))
        saved_cfg = with_defaults(
            saved_cfg, dataclasses.asdict(TrainConfig())
        )  # keys added since it was saved
        differs = first_difference(recipe(saved_cfg), recipe(resolved))
        if differs:
            raise CheckpointError(
                f"cannot resume {resume_from}: it was trained with {differs}; leave the key out to keep its "
                "value, or train a new run (another out=) to change it"
            )
        load_weights(model, resume_from / "model.safetensors")
        state = load_training_state(resume_from, device="cpu")
        try:
            optim.load_state_dict(state["optimizer"])
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(
                f"cannot resume: {resume_from}'s optimizer state does not fit ({exc})"
            ) from None
        if step_module.target is not None:
            if "objective" not in state:
                raise CheckpointError(f"cannot resume {resume_from}: it holds no target encoder to continue")
            step_module.load_objective_state(state["objective"])
        start_step, run_id = int(state["step"]), state.get("run_id", run_id)
        if "rng" in state:
            rng.restore(state["rng"], {"sigreg": sig_gen})
        else:
            log.warning("%s predates exact resume: its batch order is not restored", resume_from)
        if resume_from.name == LEGACY:
            log.info("continuing the single-checkpoint run %s into %s/checkpoints/", resume_from, out)
        if start_step >= cfg.steps:
            log.warning(
                "%s is already trained %d steps (steps=%d): nothing to do", resume_from, start_step, cfg.steps
            )
            return resume_from
        log.info("resuming from step %d (%s)", start_step, resume_from)

    trainer = (
        torch.nn.parallel.DistributedDataParallel(
            step_module, device_ids=[device.index] if device.type == "cuda" else None, broadcast_buffers=False
        )
        if world.size > 1
        else step_module
    )
    loader = make_loader(
        train_ds, cfg.data.batch_size, per_episode=cfg.data.per_episode, shuffle=True, num_workers=cfg.data.num_workers, workers=cfg.data.workers,
        seed=cfg.seed, rank=world.rank, world=world.size, start=start_step, pin_memory=device.type == "cuda",
    )  # fmt: skip
    batches = infinite_batches(loader)
    val_batches = (
        fixed_val_batches(val_ds, cfg.data.batch_size, cfg.val_batches) if val_ds is not None else []
    )
    collapse_check = CollapseCheck(cfg.steps)
    eval_every = cfg.eval_every if cfg.eval_every >= 0 else (cfg.ckpt_every if device.type == "cuda" else 0)
    plan_monitor = None
    if eval_every and world.main and len(val_ids):
        from worldjepa.training.plan_monitor import PlanMonitor

        plan_monitor = PlanMonitor(preprocess, ds, cfg.eval_tasks, device, seed=cfg.seed)
    logger = (
        _start_logging(cfg, out, resolved, world, global_batch, start_step, run_id) if world.main else None
    )
    amp = torch.autocast(device.type, dtype=torch.bfloat16, enabled=cfg.amp == "bf16")

    def training_state(step: int) -> dict:
        sampler = {"seed": cfg.seed, "next_batch": step, "global_batch_size": global_batch}
        return {"optimizer": optim.state_dict(), "step": step, "config": resolved, "run_id": run_id,
                "rng": rng.capture({"sigreg": sig_gen}), "sampler": sampler, "world_size": world.size,
                "objective": step_module.objective_state()}  # fmt: skip

    def checkpoint(step: int) -> Path:
        saved = None
        if world.main:
            saved = save_step(out, step, model, resolved, {**preprocess, "step": step}, training_state(step),
                              cfg.keep_last)  # fmt: skip
        distributed.barrier(world)
        return saved or out

    log.info(
        "training %.2fM params on %d train / %d val windows (%d / %d episodes), global batch %d%s, on %s",
        sum(p.numel() for p in model.parameters()) / 1e6, len(train_ds), len(val_ds) if val_ds else 0,
        len(train_ids), len(val_ids), global_batch,
        f" ({world.size} ranks x {cfg.data.batch_size})" if world.size > 1 else "", device,
    )  # fmt: skip
    t_start = time.perf_counter()
    t_log, step, done, last, logged_at = t_start, start_step, start_step, out, start_step
    saved_at = None  # the step of the newest checkpoint this run wrote
    bar = progress_bar(total=cfg.steps, initial=start_step, desc="train", unit="step", disable=not world.main)
    try:
        trainer.train()
        for step in range(start_step, cfg.steps):
            for group in optim.param_groups:
                group["lr"] = lr_at(step, cfg)
            batch = next(batches).to(device, non_blocking=True)
            sig_gen.manual_seed(cfg.seed * 1_000_003 + step)  # the same directions on every rank
            if augment is not None:  # each rank its own episodes' draws, a pure function of the step
                aug_gen.manual_seed((cfg.seed * 1_000_003 + step) * 4_099 + world.rank)
                batch["pixels"] = augment(batch["pixels"], batch["episode_idx"], aug_gen)
            with amp:
                terms = trainer(batch, sig_gen)
            optim.zero_grad(set_to_none=True)
            terms["loss"].backward()
            grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.optim.grad_clip)
            time_up = bool(cfg.max_minutes) and time.perf_counter() - t_start > 60 * cfg.max_minutes
            bad, time_up = _agree(world, device, not torch.isfinite(terms["loss"] + grad_norm), time_up)
            if bad:
                raise TrainingError(
                    f"the loss became {terms['loss'].item()} at step {step + 1} (the last checkpoint is kept); "
                    "lower optim.lr or check the data"
                )
            optim.step()
            step_module.after_step()
            bar.update(1)
            done = step + 1
            plan_due = bool(eval_every) and (done % eval_every == 0 or done == cfg.steps)
            if done % cfg.log_every == 0 or done == cfg.steps or plan_due:
                now = time.perf_counter()
                scalars = {k: v.item() for k, v in terms.items() if v.dim() == 0}
                row = {"step": done, **distributed.mean_over_ranks(scalars, world, device)}
                z = distributed.gather_rows(terms["z"].detach().float().flatten(0, 1), world)
                row.update(rank=effective_rank(z), grad_norm=float(grad_norm), lr=optim.param_groups[0]["lr"],
                           steps_per_s=(done - logged_at) / max(now - t_log, 1e-9))  # fmt: skip
                logged_at = done
                if val_batches and cfg.val_every and (done % cfg.val_every == 0 or done == cfg.steps):
                    row.update(validate(model, val_batches, device))
                    collapse_check(done, row)
                    trainer.train()
                if plan_monitor is not None and plan_due:
                    row.update(plan_monitor(model))
                t_log = time.perf_counter()  # validation and planning are not training time
                if logger is not None:
                    logger.log(row)
                shown = [k for k in row if k.endswith("_loss") and k != "loss" and not k.startswith("val_")]
                bar.set_postfix({k: f"{row[k]:.4g}" for k in [*shown, "rank"]})
            if done % cfg.ckpt_every == 0:
                last, saved_at = checkpoint(done), done
            if time_up:
                log.warning("stopping at step %d: max_minutes=%s reached", done, cfg.max_minutes)
                break
        step = done
    except KeyboardInterrupt:
        log.warning("interrupted at step %d; saving a checkpoint to resume from", done)
        if world.main and done > start_step:
            save_step(
                out, done, model, resolved, {**preprocess, "step": done}, training_state(done), cfg.keep_last
            )
        raise
    finally:
        bar.close()
        if plan_monitor is not None:
            plan_monitor.close()
    if saved_at != step:
        last = checkpoint(step)
    if logger is not None:
        logger.close()
        logger.plot()
    log.info("trained %d steps in %.1f min; checkpoint: %s", step - start_step,
             (time.perf_counter() - t_start) / 60, last)  # fmt: skip
    return last


def save_step(out: Path, step: int, model, config: dict, preprocess: dict, training_state: dict,
              keep_last: int) -> Path:  # fmt: skip
    """Write ``<out>/checkpoints/<step>``, point ``last`` at it, then drop the oldest beyond
    ``keep_last``. Each stage is atomic: a crash anywhere leaves ``last`` on a complete one."""
    from worldjepa.checkpoint import save_checkpoint
    from worldjepa.run_dir import point_last, prune, step_dir

    path = save_checkpoint(step_dir(out, step), model, config, preprocess, training_state)
    point_last(out, step)
    prune(out, keep_last)
    return path


def _agree(world, device, *flags: bool) -> list[bool]:
    """Each flag, true on every rank if it is true on any (ranks stop together or not at all)."""
    if world.size == 1:
        return list(flags)
    import torch

    t = torch.tensor([float(f) for f in flags], device=device)
    torch.distributed.all_reduce(t, op=torch.distributed.ReduceOp.MAX)
    return [bool(v) for v in t.tolist()]


def _start_logging(cfg: TrainConfig, out: Path, resolved: dict, world, global_batch: int, start_step: int,
                   run_id: str):  # fmt: skip
    """metrics.csv (cut back to ``start_step`` on resume), the tracker ``cfg.logger`` names, and
    the resolved config and provenance (``config.yaml``, ``run.json``) beside them."""
    import json

    import yaml

    from worldjepa.training.provenance import run_info
    from worldjepa.training.tracking import start_tracker

    out.mkdir(parents=True, exist_ok=True)
    info = run_info(world.size, global_batch, start_step, run_id)
    (out / "config.yaml").write_text(yaml.safe_dump(resolved, sort_keys=False))
    (out / "run.json").write_text(json.dumps(info, indent=2))
    tracker = start_tracker(cfg.logger, out, resolved, info)
    return MetricsLogger(out, resume_step=start_step if cfg.resume else None, trackers=[tracker])


def _warn_if_factors_vary(cfg: TrainConfig, ds) -> None:
    """Before any step: data recorded with factors that vary across episodes, and a recipe that
    is known to collapse on it, get one warning naming the one that does not."""
    from worldjepa.losses.objectives import REGULARISERS
    from worldjepa.training.recipes import as_overrides

    split = ds.meta.get("extra", {}).get("factor_split", "default")
    if split != "default" and not REGULARISERS.get(cfg.loss.regulariser).per_episode:
        log.warning(
            "%s was recorded with factors=%s, which vary across episodes: loss.regulariser=%s tends to "
            "collapse onto them (the collapse check will say); the recipe that survives them is "
            "recipe=randomized (%s)",
            cfg.data.path, split, cfg.loss.regulariser, as_overrides(),
        )  # fmt: skip


def _check_batches(cfg: TrainConfig) -> None:
    """Batches of whole episodes: the ones a per-episode regulariser needs, of whole groups."""
    from worldjepa.losses.objectives import REGULARISERS

    per = cfg.data.per_episode
    if cfg.data.batch_size % per:
        raise ConfigError(f"data.per_episode={per} must divide data.batch_size={cfg.data.batch_size}")
    if REGULARISERS.get(cfg.loss.regulariser).per_episode and per < 2:
        raise ConfigError(
            f"loss.regulariser={cfg.loss.regulariser} compares windows of one episode: set data.per_episode "
            "to 2 or more (e.g. 4)"
        )
