"""The reproduction's table: its rows, its Markdown, and files written whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from srzoo.bench import BenchResult

from .models import Model
from .plan import Plan
from .verdicts import base_label


def atomic_write(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.partial")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def table_rows(results: list[BenchResult], trained: dict[str, tuple[Model, Path]], plans: dict[str, Plan]):
    rows = []
    for r in results:
        base = base_label(r.method)
        model = trained.get(base, (None, None))[0]
        plan = plans.get(base)
        rows.append(
            {
                "method": r.method,
                "scale": r.scale,
                "psnr": r.psnr,
                "ssim": r.ssim,
                "gsm": r.gsm,
                "images": r.images,
                "schedule": plan.as_dict() if plan else None,
                "reduced": plan.reduced if plan else False,
                "note": (model.note if model else "no training")
                + (" (Stage-1 image)" if base != r.method else ""),
            }
        )
    return sorted(rows, key=lambda row: (row["scale"], row["method"]))


def _se(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def markdown(document: dict[str, Any]) -> str:
    """The paper-style table, the schedule run and the verdicts as Markdown."""
    small = document.get("width") == "small"
    label = document.get("label", "full widths")
    kind = (
        "**smoke run (tiny widths, a few steps): these numbers test the script, they are not results**"
        if document["smoke"]
        else f"**{label}**"
        if small
        else label
    )
    protocol = (
        f"Protocol: `srzoo bench` (PSNR/SSIM on {document['protocol']['y']} Y, GSM; border shaved by the "
        f"scale), {document['images']} Facades `test/` images; device {document['device']}; {kind}."
    )
    lines = [
        "# Stage-GAN on CMP Facades: srzoo's reproduction" + (f", {label}" if small else ""),
        "",
        protocol,
        "",
        "| method | scale | PSNR | SSIM | GSM | steps | epochs | batch | fraction of paper | wall s | note |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in document["table"]:
        s = row["schedule"]
        label = row["method"] + (" (reduced)" if row["reduced"] else "")
        schedule = (
            [
                str(s["steps"]),
                f"{s['epochs']:g}",
                str(s["batch_size"]),
                f"{s['fraction_of_reference']:.3g}",
                f"{s['wall_seconds']:g}" if s["wall_seconds"] else "–",  # shipped weights keep no times
            ]
            if s
            else ["–"] * 5
        )
        lines.append(
            f"| {label} | ×{row['scale']} | {row['psnr']:.2f} | {row['ssim']:.4f} | {row['gsm']:.4f} | "
            + " | ".join(schedule)
            + f" | {row['note']} |"
        )
    for row in document.get("missing", []):
        lines.append(
            f"| {row['method']} | ×{row['scale']} | – | – | – | "
            + " | ".join(["–"] * 5)
            + f" | {row['status']} |"
        )
    lines += ["", "## Verdicts", ""]
    for v in document["verdicts"]:
        lines.append(f"- **{v['verdict']}**: {v['claim']} ({v['why']}).")
        for c in v["comparisons"]:
            lines.append(
                f"  - {c['a']} {c['metric']} {c['a_value']:.4f} vs {c['b']} {c['b_value']:.4f}: "
                f"Δ {c['difference']:+.4f} ± {_se(c['standard_error'])} (SE) → {c['outcome']}"
            )
    lines.append("")
    return "\n".join(lines)
