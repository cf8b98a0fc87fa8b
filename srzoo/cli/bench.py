"""``srzoo bench``: compare methods on benchmark sets under the literature's protocol."""

from __future__ import annotations

import argparse
import errno
import os
from pathlib import Path

from rich.console import Console

from srzoo.errors import SrzooError

from ._console import console, err_console, progress
from ._options import (
    add_device_option,
    output_folder,
    parse_labels,
    parse_weights,
    pick_device,
    split_names,
)

HELP = "Compare SR methods on benchmark sets (PSNR/SSIM/GSM, speed, memory, published gaps, figures)."


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--methods",
        metavar="M1,M2",
        help="recipes (names or .toml files) or checkpoint files (e.g. x4.pth with srzoo[spandrel], labelled "
        "by their stem) to compare (default: bicubic-x4, bicubic-x8 and every recipe with weights available); a "
        "learned recipe runs with srzoo's shipped weights unless --weights gives some",
    )
    parser.add_argument(
        "--data",
        action="append",
        metavar="PATH_OR_NAME",
        help="benchmark set, repeatable: a folder of HR images, PATH:SPLIT (Facades), "
        "paired:HR_DIR,LR_DIR ({s} = scale), a registered dataset, or charts (default: charts)",
    )
    parser.add_argument("--metrics", default="psnr,ssim,gsm", metavar="M1,M2", help="default psnr,ssim,gsm")
    parser.add_argument(
        "--weights",
        action="append",
        default=[],
        metavar="METHOD=PATH",
        help="weights of a method, repeatable; LABEL=CHECKPOINT adds a checkpoint file as method LABEL",
    )
    parser.add_argument(
        "--label",
        action="append",
        default=[],
        metavar="METHOD=LABEL",
        help="the name a method's rows carry (default: its recipe's name), repeatable",
    )
    parser.add_argument(
        "--pretrained",
        action="store_true",
        help="use srzoo's shipped weights where they exist (the default; kept for old scripts)",
    )
    parser.add_argument(
        "--y",
        choices=("rounded", "unrounded"),
        default="rounded",
        help="Y convention: rounded (MATLAB rgb2ycbcr, the usual tables; default) or unrounded (RCAN, LapSRN)",
    )
    parser.add_argument(
        "--degradation",
        metavar="NAME",
        help="make LR with this registered degradation instead of MATLAB bicubic",
    )
    parser.add_argument("--seed", type=int, metavar="S", help="seed of a random --degradation")
    parser.add_argument(
        "--allow-untrained",
        action="store_true",
        help="time learned methods without weights (speed only, no scores) instead of refusing them",
    )
    parser.add_argument(
        "--no-fast", action="store_true", help="run the plain model, not the fast inference path"
    )
    parser.add_argument("--format", choices=("table", "json", "csv", "markdown"), default="table")
    parser.add_argument(
        "--out", "-o", metavar="DIR", help="also write results.{json,csv,md} and the figures to DIR"
    )
    add_device_option(parser)
    parser.add_argument("--limit", type=int, metavar="N", help="use only the first N images of each set")


def run(args: argparse.Namespace) -> int:
    from srzoo.bench import bench
    from srzoo.bench.distributed import current_shard
    from srzoo.bench.report import to_csv, to_json, to_markdown, to_rich_tables

    if args.limit is not None and args.limit < 1:
        raise SrzooError(f"--limit {args.limit}: expected a positive number of images")
    if args.seed is not None and not args.degradation:
        raise SrzooError("--seed needs --degradation NAME (the bicubic protocol is not random)")
    methods = split_names(args.methods, "--methods") if args.methods else None
    metrics = split_names(args.metrics, "--metrics")
    weights = parse_weights(args.weights)
    labels = parse_labels(args.label)
    for path in weights.values():
        if not path.is_file():
            raise SrzooError(f"--weights {path}: no such file")
    device = pick_device(args.device)
    out = output_folder(args.out) if args.out else None
    if out is not None:
        _check_writable(out)  # before minutes of benchmarking, not after
    with progress() as bar:

        def hook(description: str, total: int):
            task = bar.add_task(description, total=total)
            return lambda: bar.advance(task)

        results = bench(
            methods,
            args.data or ["charts"],
            metrics=metrics,
            weights=weights,
            labels=labels,
            y=args.y,
            degradation=args.degradation,
            seed=args.seed,
            allow_untrained=args.allow_untrained,
            fast=not args.no_fast,
            device=device,
            limit=args.limit,
            keep_images=out is not None,
            progress=hook,
        )
    shard = current_shard(device)
    if shard.world > 1:
        import torch.distributed as dist

        dist.destroy_process_group()
    if shard.rank != 0:
        return 0
    if args.format == "json":
        print(to_json(results))
    elif args.format == "csv":
        print(to_csv(results), end="")
    elif args.format == "markdown":
        print(to_markdown(results), end="")
    else:
        tables = to_rich_tables(results)
        # the table is wide: never crop it to 80 columns when stdout is a file or a pipe
        screen = console if console.is_terminal else Console(width=200, soft_wrap=False)
        for table in tables:
            screen.print(table)
        if len(tables) > 1:
            console.print("note: results under different protocols are in separate tables", markup=False)
    if out is not None:
        from srzoo.bench.figures import write_figures
        from srzoo.bench.report import write_text

        try:
            written = [
                write_text(out / "results.json", to_json(results)),
                write_text(out / "results.csv", to_csv(results)),
                write_text(out / "results.md", to_markdown(results)),
                *write_figures(results, out),
            ]
        except OSError as exc:  # the message names a temporary file: name the user's folder instead
            raise SrzooError(f"--out {out}: cannot write the results ({_reason(exc)})") from None
        err_console.print(
            f"wrote {len(written)} files to {out}/: " + ", ".join(p.name for p in written), markup=False
        )
    return 0


def _check_writable(out: Path) -> None:
    """Refuse (one line) an ``--out`` that cannot be written: the folder, or the nearest existing
    folder above it, must be writable and have free space. Nothing is created here."""
    existing = next(p for p in (out, *out.absolute().parents) if p.exists())
    if not existing.is_dir():
        raise SrzooError(f"--out {out}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise SrzooError(
            f"--out {out}: {existing} is not writable (permission denied); choose another folder"
        )
    if hasattr(os, "statvfs") and os.statvfs(existing).f_bavail == 0:
        raise SrzooError(f"--out {out}: no space left on the device holding {existing}; free some space")


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "no space left on the device; free some space"
    return exc.strerror or str(exc)
