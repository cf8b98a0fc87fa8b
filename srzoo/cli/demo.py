"""``srzoo demo``: degrade the built-in test charts, upscale them with recipes, score and show them."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from rich.table import Table

from srzoo.errors import SrzooError

from ._console import console, progress
from ._options import add_device_option, output_folder, parse_weights, pick_device, split_names

HELP = "Run recipes on srzoo's own test charts (Siemens star, zone plate, text, edges, facade): PNG panels + scores."


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--models",
        metavar="M1,M2",
        help="recipes to compare (default: bicubic-x4, bicubic-x8 and every recipe srzoo ships weights "
        "for, with those weights)",
    )
    parser.add_argument("--charts", default="all", metavar="C1,C2", help="charts to use (default all)")
    parser.add_argument(
        "--size",
        type=int,
        default=256,
        help="chart side in HR pixels (default 256; cropped to a multiple of each scale)",
    )
    parser.add_argument(
        "--degradation",
        default="bicubic",
        help="how LR is made from the chart (default bicubic, MATLAB-exact)",
    )
    parser.add_argument(
        "--weights", action="append", default=[], metavar="MODEL=PATH", help="weights for a model, repeatable"
    )
    parser.add_argument(
        "--metrics", default="psnr,ssim", metavar="M1,M2", help="metrics to report (default psnr,ssim)"
    )
    add_device_option(parser)
    parser.add_argument(
        "--out", "-o", default="srzoo-demo", metavar="DIR", help="output folder (default ./srzoo-demo)"
    )


def _label(image: Any, text: str) -> Any:
    """Draw ``text`` on a white strip above a ``(3, H, W)`` image."""
    import numpy as np
    import torch
    from PIL import Image, ImageDraw, ImageFont

    strip = Image.new("RGB", (image.shape[-1], 18), "white")
    ImageDraw.Draw(strip).text((3, 2), text, fill="black", font=ImageFont.load_default(size=12))
    top = torch.from_numpy(np.asarray(strip, dtype=np.float32).transpose(2, 0, 1) / 255.0)
    return torch.cat([top, image.cpu()], dim=1)


def run(args: argparse.Namespace) -> int:
    import torch

    import srzoo
    from srzoo.bench.methods import default_methods
    from srzoo.charts import CHARTS, make_chart
    from srzoo.imageio import quantize_8bit, write_image
    from srzoo.inference.loading import has_pretrained, load_for_inference, weights_label

    out = output_folder(args.out)
    weights = parse_weights(args.weights)
    models = split_names(args.models, "--models") if args.models else default_methods(weights)
    charts = list(CHARTS) if args.charts == "all" else split_names(args.charts, "--charts")
    for chart in charts:
        if chart not in CHARTS:
            raise SrzooError(f"--charts: unknown chart {chart!r}; expected one of: {', '.join(CHARTS)}")
    metric_names = split_names(args.metrics, "--metrics") if args.metrics else []
    device = pick_device(args.device)
    built, labels = {}, {}
    for name in models:
        path = weights.get(name)
        shipped = path is None and has_pretrained(name)
        loaded = load_for_inference(name, weights=path, pretrained=shipped, fast=False, device=device)
        if not loaded.trained:
            raise SrzooError(
                f"{name}: a learned model without weights would show noise and srzoo ships none for it; "
                f"pass --weights {name}=PATH"
            )
        built[name], labels[name] = loaded.model, weights_label(loaded.weights, loaded.learned)
    rows: list[dict[str, Any]] = []
    panels: dict[str, list[Any]] = {chart: [] for chart in charts}
    hrs = {chart: make_chart(chart, args.size).to(device) for chart in charts}
    with progress() as bar, torch.inference_mode():
        task = bar.add_task("upscaling charts", total=len(models) * len(charts))
        for name, model in built.items():
            down = srzoo.create("degradation", args.degradation, scale=model.scale)
            metrics = {m: srzoo.create("metric", m, scale=model.scale) for m in metric_names}
            for chart in charts:
                side = args.size - args.size % model.scale  # HR cropped to a multiple of the scale (§6)
                hr = hrs[chart][None, :, :side, :side]
                lr = quantize_8bit(down(hr))  # as if the LR had been saved as a PNG
                start = time.perf_counter()
                sr = quantize_8bit(model(lr))
                elapsed = time.perf_counter() - start
                hr_crop = hr[..., : sr.shape[-2], : sr.shape[-1]]
                row = {
                    "model": name,
                    "weights": labels[name],
                    "chart": chart,
                    "scale": model.scale,
                    "ms": round(elapsed * 1e3, 2),
                }
                row.update({m: round(float(fn(sr, hr_crop)[0]), 4) for m, fn in metrics.items()})
                rows.append(row)
                nearest = lr.repeat_interleave(model.scale, -1).repeat_interleave(model.scale, -2)
                if not panels[chart]:
                    panels[chart].append(_label(hr_crop[0], "HR (ground truth)"))
                panels[chart].append(
                    _label(nearest[0, :, : sr.shape[-2], : sr.shape[-1]], f"LR x{model.scale} (nearest)")
                )
                panels[chart].append(
                    _label(sr[0], f"{name}" + (f"  {row['psnr']:.2f} dB" if "psnr" in row else ""))
                )
                bar.advance(task)
    written = []
    for chart, images in panels.items():
        height = max(image.shape[-2] for image in images)
        padded = [
            torch.nn.functional.pad(image, (0, 4, 0, height - image.shape[-2]), value=1.0) for image in images
        ]
        written.append(write_image(torch.cat(padded, dim=-1), out / f"{chart}.png"))
    results = out / "results.json"
    temporary = results.with_name(results.name + ".partial")
    temporary.write_text(
        json.dumps({"degradation": args.degradation, "size": args.size, "results": rows}, indent=2)
    )
    temporary.replace(results)

    table = Table(
        title=f"srzoo demo: {args.size}×{args.size} charts, LR by {args.degradation}", title_justify="left"
    )
    for column in ["model", "weights", "chart", *metric_names, "ms"]:
        table.add_column(column, justify="left" if column in ("model", "weights", "chart") else "right")
    for row in rows:
        table.add_row(
            *[
                f"{row[c]:.4f}" if isinstance(row.get(c), float) and c != "ms" else str(row.get(c, ""))
                for c in ["model", "weights", "chart", *metric_names, "ms"]
            ]
        )
    console.print(table)
    console.print(f"wrote {len(written)} panels and results.json to {out}/", markup=False)
    return 0
