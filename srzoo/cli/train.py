"""``srzoo train RECIPE --data PATH --out RUN_DIR``: train a recipe from its ``[train]`` table."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..recipe.core import get_recipe
from ._console import console, err_console
from ._options import add_device_option, add_set_option, parse_settings

HELP = "Train a recipe (Stage-GAN or a baseline) from its [train] table; runs under torchrun too."


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("recipe", metavar="RECIPE", help="recipe name (srzoo list recipe) or a .toml file")
    parser.add_argument(
        "--data", required=True, metavar="PATH", help="Facades root or split folder, or a folder of HR images"
    )
    parser.add_argument(
        "--out", "-o", required=True, metavar="RUN_DIR", help="run directory (metrics, checkpoints, weights)"
    )
    parser.add_argument(
        "--epochs", type=int, metavar="N", help="passes over the data (default: the recipe's)"
    )
    parser.add_argument("--max-steps", type=int, metavar="N", help="stop after N generator updates")
    parser.add_argument(
        "--batch-size", type=int, metavar="B", help="images per update and process (default: the recipe's)"
    )
    parser.add_argument("--patch-size", type=int, metavar="P", help="HR crop side (default: the recipe's)")
    parser.add_argument(
        "--log-every", type=int, default=10, metavar="N", help="metrics.jsonl row every N steps (10)"
    )
    parser.add_argument(
        "--log-seconds",
        type=float,
        default=30.0,
        metavar="S",
        help="progress line in train.log (and on stderr when it is not a terminal) at most every S "
        "seconds, on logged steps (30; 0: every logged step)",
    )
    parser.add_argument(
        "--logger",
        action="append",
        default=[],
        dest="loggers",
        metavar="NAME",
        help="also send the run's values to this plugin logger (repeatable; srzoo plugins lists them)",
    )
    parser.add_argument(
        "--tensorboard",
        action="store_true",
        help='TensorBoard event files in RUN_DIR/tensorboard (= --logger tensorboard; pip install "srzoo[tensorboard]")',
    )
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (0)")
    parser.add_argument(
        "--val", metavar="PATH", help="held-out images (default: a Facades folder's test/); '' disables"
    )
    parser.add_argument(
        "--val-every",
        type=int,
        metavar="N",
        help="validate every N steps (default: every epoch, at least 500 steps apart)",
    )
    parser.add_argument("--val-images", type=int, default=8, metavar="N", help="held-out images scored (8)")
    parser.add_argument(
        "--checkpoint-every", type=int, metavar="N", help="checkpoint every N steps (default: as --val-every)"
    )
    parser.add_argument(
        "--keep", type=int, default=2, metavar="K", help="checkpoints kept besides the best (2)"
    )
    parser.add_argument("--resume", action="store_true", help="continue from RUN_DIR's last checkpoint")
    parser.add_argument(
        "--init-from",
        metavar="PATH",
        help="initial generator weights (.safetensors), e.g. SRResNet's for SRGAN",
    )
    add_device_option(parser)
    parser.add_argument("--bf16", action="store_true", help="bfloat16 autocast")
    parser.add_argument("--fp16", action="store_true", help="float16 autocast with gradient scaling (CUDA)")
    parser.add_argument("--channels-last", action="store_true", help="channels_last memory format")
    parser.add_argument(
        "--compile",
        nargs="?",
        const="default",
        metavar="MODE",
        help="torch.compile the networks (MODE: default, reduce-overhead = CUDA graphs, max-autotune)",
    )
    parser.add_argument("--sync-bn", action="store_true", help="SyncBatchNorm under torchrun")
    parser.add_argument("--workers", type=int, default=0, metavar="N", help="data-loading processes (0)")
    add_set_option(
        parser, "override the recipe, e.g. sem.ngf=8, d0.ndf=8 (a critic), train.optimizer.lr=1e-4"
    )
    parser.add_argument(
        "--quiet", action="store_true", help="no progress bar or progress lines on stderr (train.log is kept)"
    )


def run(args: argparse.Namespace) -> int:
    from srzoo.errors import SrzooError
    from srzoo.train import Trainer, TrainOptions

    if args.bf16 and args.fp16:
        raise SrzooError("--bf16 and --fp16 exclude each other; pick one")
    options = TrainOptions(
        data=Path(args.data),
        out=Path(args.out),
        epochs=args.epochs,
        max_steps=args.max_steps,
        batch_size=args.batch_size,
        patch_size=args.patch_size,
        log_every=args.log_every,
        val=args.val,
        val_every=args.val_every,
        val_images=args.val_images,
        checkpoint_every=args.checkpoint_every,
        keep=args.keep,
        seed=args.seed,
        resume=args.resume,
        init_from=Path(args.init_from) if args.init_from else None,
        device=args.device,
        precision="bf16" if args.bf16 else "fp16" if args.fp16 else "fp32",
        channels_last=args.channels_last,
        compile=args.compile is not None,
        compile_mode=args.compile or "default",
        workers=args.workers,
        sync_batchnorm=args.sync_bn,
        overrides=parse_settings(args.overrides, get_recipe(args.recipe)),
        progress=not args.quiet,
        log_seconds=args.log_seconds,
        loggers=(*args.loggers, *(["tensorboard"] if args.tensorboard else [])),
    )
    trainer = Trainer(args.recipe, options)
    if trainer.resumed_from is not None and trainer.dist.is_main:
        err_console.print(
            f"resuming from {trainer.resumed_from} (step {trainer.step} of {trainer.total_steps})",
            highlight=False,
            soft_wrap=True,
        )
    result = trainer.fit()
    if not trainer.dist.is_main:
        return 0
    if result.interrupted:
        err_console.print(
            f"stopped at step {result.step}; checkpoint {result.checkpoint}; continue with --resume",
            highlight=False,
            soft_wrap=True,
        )
        return 130
    scores = ", ".join(f"{k} {v:.4f}" for k, v in result.validation.items())
    console.print(
        f"trained {trainer.recipe.name} for {result.step} steps; weights {result.weights}"
        + (f"; validation {scores}" if scores else ""),
        highlight=False,
        soft_wrap=True,
    )
    return 0
