"""Benchmark results as a rich table, DESIGN §4's JSON document, CSV and Markdown.

Results whose protocol cards have different scoring protocols (see
``ProtocolCard.key``) are never put in one table: each protocol gets
its own table, titled with the protocol, and a note says that they are not comparable.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.table import Table

from .._io.atomic import atomic_write
from .runner import METRICS, BenchResult

__all__ = ["FORMATS", "group_by_protocol", "to_csv", "to_json", "to_markdown", "to_rich_tables", "write_text"]

FORMATS = ("table", "json", "csv", "markdown")

NOT_COMPARABLE = (
    "results under different protocols are in separate tables: do not compare numbers across them"
)


_TEXT_COLUMNS = ("method", "weights", "dataset")


def group_by_protocol(results: Sequence[BenchResult]) -> list[list[BenchResult]]:
    """Results split by scoring protocol, in first-seen order."""
    groups: dict[tuple[Any, ...], list[BenchResult]] = {}
    for result in results:
        groups.setdefault(result.protocol.key, []).append(result)
    return list(groups.values())


def _metrics_in(results: Sequence[BenchResult]) -> list[str]:
    seen: list[str] = []
    for result in results:
        for metric in result.scores:
            if metric not in seen:
                seen.append(metric)
    return seen or [m for m in METRICS if any(m in r.scores for r in results)]


def _score(result: BenchResult, metric: str, with_gap: bool = True) -> str:
    value = result.scores.get(metric)
    if value is None:
        return "untrained" if not result.trained else ""
    digits = 2 if metric == "psnr" else 4
    text = f"{value:.{digits}f}"
    if with_gap:
        for published in result.published:
            if published.metric == metric:
                text += f" ({published.value:.{digits}f}, {published.gap:+.{digits}f})"
    return text


def _row(result: BenchResult, metrics: Sequence[str]) -> list[str]:
    return [
        result.method,
        result.weights,
        result.dataset,
        f"×{result.scale}",
        str(result.images),
        *[_score(result, m) for m in metrics],
        f"{result.ms_per_image:.1f}",
        f"{result.images_per_s:.1f}" if math.isfinite(result.images_per_s) else "inf",
        f"{result.parameters:,}",
        f"{result.gflops_per_image:.2f}",
        f"{result.peak_memory_mib:.0f}",
    ]


def _header(metrics: Sequence[str]) -> list[str]:
    return [
        "method",
        "weights",
        "dataset",
        "scale",
        "images",
        *metrics,
        "ms/image",
        "images/s",
        "params",
        "GFLOPs",
        "peak MiB",
    ]


def _title(group: Sequence[BenchResult]) -> str:
    card = group[0].protocol
    return f"{card.describe_key()} · {'fast path' if card.fast else 'plain model'} on {card.device}"


def to_rich_tables(results: Sequence[BenchResult]) -> list[Any]:
    """One ``rich.table.Table`` per protocol (published value and gap in brackets after a score)."""
    tables = []
    for group in group_by_protocol(results):
        metrics = _metrics_in(group)
        table = Table(
            title=_title(group), title_justify="left", caption=_caption(group), caption_justify="left"
        )
        for column in _header(metrics):
            table.add_column(column, justify="left" if column in _TEXT_COLUMNS else "right")
        for result in group:
            table.add_row(*_row(result, metrics))
        tables.append(table)
    return tables


def _caption(group: Sequence[BenchResult]) -> str | None:
    if any(r.published for r in group):
        return (
            "(published, gap) = a paper's value for the same set, metric, protocol and weights, "
            "and srzoo minus it"
        )
    return None


def to_markdown(results: Sequence[BenchResult]) -> str:
    """Markdown tables, one per protocol, each under a heading naming it."""
    parts = []
    groups = group_by_protocol(results)
    for group in groups:
        metrics = _metrics_in(group)
        header = _header(metrics)
        lines = [f"### {_title(group)}", "", "| " + " | ".join(header) + " |"]
        lines.append("|" + "|".join(":---" if c in _TEXT_COLUMNS else "---:" for c in header) + "|")
        lines += ["| " + " | ".join(_row(r, metrics)) + " |" for r in group]
        caption = _caption(group)
        if caption:
            lines += ["", caption]
        parts.append("\n".join(lines))
    if len(groups) > 1:
        parts.append(f"> Note: {NOT_COMPARABLE}.")
    return "\n\n".join(parts) + "\n"


def to_csv(results: Sequence[BenchResult]) -> str:
    """One CSV row per image (``image`` column) plus one ``mean`` row per result, with a
    ``protocol`` column (the protocol's one-line description) so rows of different protocols stay
    apart."""
    metrics = [m for m in METRICS if any(m in r.scores for r in results)] or list(METRICS)
    metrics += [m for r in results for m in r.scores if m not in metrics]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "method",
            "weights",
            "dataset",
            "scale",
            "image",
            *metrics,
            "ms",
            "parameters",
            "gflops_per_image",
            "peak_memory_mib",
            "protocol",
        ]
    )
    for result in results:
        protocol = result.protocol.describe_key()
        for image in result.per_image:
            writer.writerow(
                [
                    result.method,
                    result.weights,
                    result.dataset,
                    result.scale,
                    image.name,
                    *[_plain(image.scores.get(m)) for m in metrics],
                    _plain(image.ms),
                    "",
                    "",
                    "",
                    protocol,
                ]
            )
        writer.writerow(
            [
                result.method,
                result.weights,
                result.dataset,
                result.scale,
                "mean",
                *[_plain(result.scores.get(m)) for m in metrics],
                _plain(result.ms_per_image),
                result.parameters,
                _plain(result.gflops_per_image),
                _plain(result.peak_memory_mib),
                protocol,
            ]
        )
    return buffer.getvalue()


def _plain(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def to_json(results: Sequence[BenchResult]) -> str:
    """DESIGN §4's document: ``{"protocol": {...}, "results": [...]}``.

    ``protocol`` holds the scoring protocol shared by all results (``channel``, ``y``, ``shave``,
    ``lr``, ``sr_rounding``, ``resizer``, versions, device); when the results use several, it is
    ``{"mixed": true, "note": ...}`` and each result's own ``protocol`` card is authoritative.
    """
    groups = group_by_protocol(results)
    if len(groups) == 1:
        card = results[0].protocol.as_dict()
        shared = {k: v for k, v in card.items() if k not in ("scale", "dataset", "weights")}
        shared["shave"] = "scale" if results[0].protocol.shave == results[0].protocol.scale else card["shave"]
        if len(group_by_lr_args(results)) > 1:
            shared["lr"] = {**card["lr"], "args": "per scale (see each result)"}
    else:
        shared = {"mixed": True, "note": NOT_COMPARABLE}
    return json.dumps({"protocol": shared, "results": [r.as_dict() for r in results]}, indent=2)


def group_by_lr_args(results: Sequence[BenchResult]) -> set[str]:
    """The distinct LR degradation arguments (they differ by scale: MATLAB's rounding mode)."""
    return {json.dumps(r.protocol.lr.args, sort_keys=True) for r in results}


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (temporary file, fsync, rename); returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda handle: handle.write(text.encode("utf-8")))
    return path
