"""``srzoo data facades --to DIR``: download and verify a dataset (added by this plugin's command hook)."""

from __future__ import annotations

import argparse

from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from srzoo.cli.console import console, err_console


def configure(parser: argparse.ArgumentParser) -> None:
    from .sources import FACADES_SHA256, FACADES_URL

    sub = parser.add_subparsers(dest="dataset", metavar="DATASET", required=True)
    facades = sub.add_parser(
        "facades",
        help="CMP Facades (Tyleček & Šára 2013) as pix2pix distributes it: train/ val/ test/ of 512x256 JPEGs",
        description=(
            "Download CMP Facades (pix2pix layout), check its size, sha256 and layout (train/, test/ "
            "and val/ of 512x256 JPEGs) and move it into DIR. Nothing half-written is left on failure."
        ),
    )
    facades.add_argument(
        "--to", required=True, metavar="DIR", help="destination folder (must be empty or absent)"
    )
    facades.add_argument(
        "--url", default=FACADES_URL, help="archive URL (http, https or file://; default: %(default)s)"
    )
    pinned = FACADES_SHA256 or "none pinned: the hash is printed instead of checked"
    facades.add_argument(
        "--sha256", default=FACADES_SHA256, metavar="HEX", help=f"expected sha256 of the archive ({pinned})"
    )
    facades.add_argument(
        "--force", action="store_true", help="replace a non-empty DIR once the new copy is verified"
    )


def run(args: argparse.Namespace) -> int:
    from .download import fetch_facades

    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err_console, transient=True, disable=not err_console.is_terminal) as bar:
        task = bar.add_task("facades.tar.gz", total=None)

        def progress(received: int, total: int | None) -> None:
            bar.update(task, completed=received, total=total)

        result = fetch_facades(args.to, url=args.url, sha256=args.sha256, force=args.force, progress=progress)
    counts = ", ".join(f"{count} {split}" for split, count in result.counts.items())
    console.print(
        f"facades: {counts} images (512x256 JPEG: photo | label map) in {escape(str(result.path))}",
        highlight=False,
        soft_wrap=True,
    )
    if result.sha256_checked:
        console.print(f"sha256 {result.sha256} verified ({result.size} bytes)", highlight=False)
    else:
        err_console.print(
            f"[yellow]warning:[/] sha256 not checked (no pinned value): the archive's sha256 is {result.sha256} "
            f"({result.size} bytes); pass --sha256 {result.sha256} to require it next time",
            highlight=False,
            soft_wrap=True,
        )
    console.print(
        f'use it with: srzoo.create("dataset", "facades", root="{escape(str(result.path))}", split="train", scale=4)',
        highlight=False,
        soft_wrap=True,
    )
    return 0
