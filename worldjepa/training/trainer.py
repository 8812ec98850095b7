"""The training loop: pred MSE + lambda * SIGReg, end to end from pixels (no EMA, no stop-grad).

Reads like the recipe: build data -> build model -> AdamW with warmup + cosine -> loop, logging
loss, SIGReg, the embedding's effective rank (collapse shows up there first) and a held-out
prediction loss; a checkpoint directory is (re)written every ``ckpt_every`` steps and at the end.
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
    """Train and return the checkpoint directory (``<out>/checkpoint``)."""
    import torch

    from worldjepa.checkpoint import (
        load_training_state,
        load_weights,
        read_checkpoint_files,
        save_checkpoint,
    )
    from worldjepa.config import validate as validate_config
    from worldjepa.config.fields import expect
    from worldjepa.datasets import WindowDataset, infinite_batches, make_loader, open_dataset, split_episodes
    from worldjepa.devices import resolve_device
    from worldjepa.metrics import effective_rank
    from worldjepa.paths import writable_dir
    from worldjepa.progress import progress_bar
    from worldjepa.training.resume import first_difference, recipe, resumed_split

    expect(cfg, TrainConfig, "train")
    validate_config(cfg)  # also when the caller edited the dataclass after building it
    device = resolve_device(cfg.device)
    out = writable_dir(cfg.out, "out")
    ckpt_dir = out / "checkpoint"
    ds = open_dataset(cfg.data.path)
    if cfg.resume:  # the same data and the same split as the run being continued
        train_ids, val_ids = resumed_split(ckpt_dir, cfg, ds)
    else:
        if (ckpt_dir / "model.safetensors").exists():
            raise ConfigError(
                f"{out} already holds a checkpoint; pass --resume to continue it or choose another out="
            )
        train_ids, val_ids = split_episodes(ds.episode_ids, cfg.data.val_fraction, cfg.data.split_seed)
    window_kw = dict(num_steps=cfg.data.num_steps, frameskip=cfg.data.frameskip)
    train_ds = WindowDataset(cfg.data.path, episodes=train_ids, **window_kw)
    if len(train_ds) < cfg.data.batch_size:
        raise ConfigError(
            f"data.batch_size={cfg.data.batch_size}: the training split has only {len(train_ds)} windows "
            f"({len(train_ids)} episodes); lower data.batch_size or record more episodes"
        )
    # Held-out windows carry their states too: the linear-probe monitor reads them.
    val_cols = ("pixels", "action", "state") if ds.state_names else ("pixels", "action")
    val_ds = (
        WindowDataset(cfg.data.path, episodes=val_ids, columns=val_cols, **window_kw)
        if len(val_ids)
        else None
    )

    model, model_cfg = make_model(cfg, ds)
    model.to(device)
    optim = torch.optim.AdamW(model.parameters(), lr=cfg.optim.lr, weight_decay=cfg.optim.weight_decay)
    preprocess = build_preprocess(cfg, ds, model_cfg, train_ids, val_ids)
    if cfg.resume:  # the statistics the model was normalised with, not the (maybe grown) dataset's
        _, saved_pre = read_checkpoint_files(ckpt_dir)
        preprocess.update({k: saved_pre[k] for k in ("action_stats", "proprio_stats") if k in saved_pre})
    resolved = {**dataclasses.asdict(cfg), "model": model_cfg.to_dict(), "resume": False}

    start_step = 0
    if cfg.resume:
        saved_cfg, _ = read_checkpoint_files(ckpt_dir)
        differs = first_difference(recipe(saved_cfg), recipe(resolved))
        if differs:
            raise CheckpointError(
                f"cannot resume {ckpt_dir}: it was trained with {differs}; leave the key out to keep its value, "
                "or train a new run (another out=) to change it"
            )
        load_weights(model, ckpt_dir / "model.safetensors")
        state = load_training_state(ckpt_dir, device=str(device))
        try:
            optim.load_state_dict(state["optimizer"])
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(
                f"cannot resume: {ckpt_dir}'s optimizer state does not fit ({exc})"
            ) from None
        start_step = int(state["step"])
        if start_step >= cfg.steps:
            log.warning(
                "%s is already trained %d steps (steps=%d): nothing to do", ckpt_dir, start_step, cfg.steps
            )
            return ckpt_dir
        log.info("resuming from step %d (%s)", start_step, ckpt_dir)

    loss_cfg = cfg.loss
    # Resuming re-seeds the batch order from the step so a resumed run does not replay batches.
    loader = make_loader(
        train_ds,
        cfg.data.batch_size,
        shuffle=True,
        num_workers=cfg.data.num_workers,
        workers=cfg.data.workers,
        seed=cfg.seed + start_step,
    )
    batches = infinite_batches(loader)
    val_batches = _fixed_val_batches(val_ds, cfg) if val_ds is not None else []
    logger = MetricsLogger(out, resume=cfg.resume)
    sig_gen = torch.Generator(device=device)
    amp = torch.autocast(device.type, dtype=torch.bfloat16, enabled=cfg.amp == "bf16")

    def checkpoint(step: int) -> None:
        save_checkpoint(
            ckpt_dir,
            model,
            resolved,
            {**preprocess, "step": step},
            {"optimizer": optim.state_dict(), "step": step, "config": resolved},
        )

    log.info(
        "training %.2fM params on %d train / %d val windows (%d / %d episodes)",
        sum(p.numel() for p in model.parameters()) / 1e6,
        len(train_ds),
        len(val_ds) if val_ds else 0,
        len(train_ids),
        len(val_ids),
    )
    t_start = time.perf_counter()
    t_log, step = t_start, start_step
    bar = progress_bar(total=cfg.steps, initial=start_step, desc="train", unit="step")
    try:
        model.train()
        for step in range(start_step, cfg.steps):
            for group in optim.param_groups:
                group["lr"] = lr_at(step, cfg)
            batch = next(batches).to(device)
            sig_gen.manual_seed(cfg.seed * 1_000_003 + step)  # same directions on every DDP rank
            with amp:
                out_t = model.forward_train(batch["pixels"], batch["action"], loss_cfg, generator=sig_gen)
            optim.zero_grad(set_to_none=True)
            out_t["loss"].backward()
            grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.optim.grad_clip)
            if not torch.isfinite(out_t["loss"]):
                raise TrainingError(
                    f"the loss became {out_t['loss'].item()} at step {step + 1} (the last checkpoint is kept); "
                    "lower optim.lr or check the data"
                )
            optim.step()
            bar.update(1)
            done = step + 1
            if done % cfg.log_every == 0 or done == cfg.steps:
                z = out_t["z"].detach().float().flatten(0, 1)
                now = time.perf_counter()
                row = {
                    "step": done,
                    "loss": out_t["loss"].item(),
                    "pred_loss": out_t["pred_loss"].item(),
                    "sigreg_loss": out_t["sigreg_loss"].item(),
                    "rank": effective_rank(z),
                    "grad_norm": float(grad_norm),
                    "lr": optim.param_groups[0]["lr"],
                    "steps_per_s": cfg.log_every / max(now - t_log, 1e-9),
                }
                if "idm_loss" in out_t:
                    row["idm_loss"] = out_t["idm_loss"].item()
                t_log = now
                if val_batches and cfg.val_every and (done % cfg.val_every == 0 or done == cfg.steps):
                    row.update(validate(model, val_batches, device))
                    model.train()
                logger.log(row)
                bar.set_postfix(
                    pred=f"{row['pred_loss']:.4f}", sig=f"{row['sigreg_loss']:.3f}", rank=f"{row['rank']:.0f}"
                )
            if done % cfg.ckpt_every == 0:
                checkpoint(done)
            if cfg.max_minutes and time.perf_counter() - t_start > 60 * cfg.max_minutes:
                log.warning("stopping at step %d: max_minutes=%s reached", done, cfg.max_minutes)
                break
        step = done
    except KeyboardInterrupt:
        log.warning("interrupted at step %d; saving a checkpoint to resume from", step)
        checkpoint(step)
        raise
    finally:
        bar.close()
    checkpoint(step)
    logger.close()
    logger.plot()
    log.info(
        "trained %d steps in %.1f min; checkpoint: %s",
        step - start_step,
        (time.perf_counter() - t_start) / 60,
        ckpt_dir,
    )
    return ckpt_dir


def _fixed_val_batches(val_ds, cfg: TrainConfig) -> list:
    """A fixed, evenly spread set of held-out windows so val curves are comparable across steps."""
    import numpy as np

    n = min(len(val_ds), cfg.val_batches * cfg.data.batch_size)
    idx = np.linspace(0, len(val_ds) - 1, n).round().astype(int).tolist()
    bs = cfg.data.batch_size
    return [val_ds.__getitems__(idx[i : i + bs]) for i in range(0, n, bs)]


def validate(model, val_batches: list, device) -> dict[str, float]:
    """Held-out prediction MSE, and the same for 'predict no change' (z_{t+1} = z_t) as a floor
    that a useful, action-aware predictor must beat; the held-out latents' RankMe; and
    ``probe_monitor`` on them (when the windows carry states)."""
    import torch

    from worldjepa.metrics import effective_rank

    model.eval()
    pred, copy, zs, states, episodes = 0.0, 0.0, [], [], []
    with torch.inference_mode():
        for batch in val_batches:
            batch = batch.to(device)
            z = model.encode(batch["pixels"])
            z_hat = model.predict(z[:, :-1], batch["action"][:, :-1])
            pred += torch.mean((z_hat - z[:, 1:]) ** 2).item()
            copy += torch.mean((z[:, :-1] - z[:, 1:]) ** 2).item()
            zs.append(z[:, 0].float().cpu())  # one frame per window: windows overlap
            if "state" in batch.keys():
                states.append(batch["state"][:, 0].cpu())
                episodes.append(batch["episode_idx"].cpu())
    n = len(val_batches)
    z = torch.cat(zs)
    out = {"val_pred_loss": pred / n, "val_copy_loss": copy / n, "val_rank": effective_rank(z)}
    if states:
        out["val_probe_r2"] = probe_monitor(z.numpy(), torch.cat(states).numpy(), torch.cat(episodes).numpy())
    return out


def probe_monitor(z, state, episode) -> float:
    """z: (N, D), state: (N, Q), episode: (N,) -> mean held-out R² (each clipped at 0) of a ridge
    probe fit on half of the episodes and scored on the other half: a cheap sign that the
    latents encode the world (it stays near 0 when the encoder collapses or learns nothing)."""
    import numpy as np

    from worldjepa.probes.fit import fit_linear, scores, varies

    fit = np.isin(episode, np.unique(episode)[::2])  # every other held-out episode
    if fit.all() or not fit.any():
        return float("nan")
    keep = varies(state[fit]) & varies(state[~fit])
    if not keep.any():
        return float("nan")
    r2 = scores(state[~fit][:, keep], fit_linear(z[fit], state[fit][:, keep], z[~fit]))["r2"]
    return float(np.clip(r2, 0, 1).mean())
