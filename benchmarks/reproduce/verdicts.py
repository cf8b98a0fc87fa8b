"""One verdict per claim of the paper's §3.2–3.3 from paired per-image differences."""

from __future__ import annotations

import math
import statistics
from typing import Any

from srzoo.bench import BenchResult

from .models import stagegan_label
from .plan import Plan

INCONCLUSIVE_FRACTION = 0.10
"""Below this fraction of the reference schedule, a claim's verdict is "inconclusive"."""


NOISE_SIGMAS = 2.0
"""A difference within this many standard errors of the per-image paired differences is noise."""


NOT_TESTED = "not tested"
"""The verdict of a claim one of whose models has no finished run (its reason says which, and why)."""


def _paired(a: BenchResult, b: BenchResult, metric: str) -> tuple[float, float]:
    """Mean of ``a - b`` over images and its standard error."""
    diffs = [x.scores[metric] - y.scores[metric] for x, y in zip(a.per_image, b.per_image, strict=True)]
    mean = statistics.fmean(diffs)
    se = statistics.stdev(diffs) / math.sqrt(len(diffs)) if len(diffs) > 1 else math.inf
    return mean, se


def claims(width: str = "full", srgan: str = "srgan-x4") -> list[tuple[str, list[tuple[str, str, str]]]]:
    """The paper's claims, one per scale, each a list of comparisons ``(a, b, metric)``: "a beats b"."""
    sg = {(s, sem): stagegan_label(s, width, sem) for s in (4, 8) for sem in (True, False)}
    out = [
        (
            "×8: Stage-GAN has higher GSM than SRCNN and LapSRN (Fig. 10/12)",
            [(sg[8, True], "srcnn-x8", "gsm"), (sg[8, True], "lapsrn-x8", "gsm")],
        ),
        (
            f"×4: Stage-GAN beats SRGAN ({srgan}) in PSNR and SSIM",
            [(sg[4, True], srgan, "psnr"), (sg[4, True], srgan, "ssim")],
        ),
    ]
    for s in (4, 8):
        out.append(
            (
                f"×{s}: Stage-1 with semantic maps beats Stage-1 without (Fig. 6/7; PSNR and SSIM of the Stage-1 image)",
                [(f"{sg[s, True]} (Stage-1)", f"{sg[s, False]} (Stage-1)", m) for m in ("psnr", "ssim")],
            )
        )
    for s in (4, 8):
        out.append(
            (
                f"×{s}: Stage-2 sharpens Stage-1 (Fig. 8/9; GSM of Stage-2 over Stage-1)",
                [(sg[s, True], f"{sg[s, True]} (Stage-1)", "gsm")],
            )
        )
    return out


def verdicts(
    results: dict[str, BenchResult],
    plans: dict[str, Plan],
    width: str = "full",
    missing: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """One verdict per claim of §3.2–3.3 and scale (held / not held / inconclusive / not tested).

    A comparison ``a > b`` on a metric holds when the mean paired difference exceeds
    ``NOISE_SIGMAS`` standard errors, fails when it is below minus that, and is noise otherwise. A
    claim is inconclusive when any model it involves ran under ``INCONCLUSIVE_FRACTION`` of its
    reference schedule or any of its comparisons is within noise. A claim one of whose models has
    no finished run (``missing``: label → why) is *not tested*, with that reason.
    """
    missing = missing or {}
    srgan = "srgan-x4" if "srgan-x4" in results or "srgan-x4" in missing else "srgan-x4-mse"
    out = []
    for claim, comparisons in claims(width, srgan):
        involved = list(dict.fromkeys(base_label(name) for a, b, _ in comparisons for name in (a, b)))
        absent = [name for name in involved if name in missing or name not in results]
        if absent:
            why = "; ".join(f"{name}: {missing.get(name, 'no run')}" for name in absent)
            out.append({"claim": claim, "verdict": NOT_TESTED, "why": why, "comparisons": []})
            continue
        rows = []
        outcomes = []
        for a, b, metric in comparisons:
            mean, se = _paired(results[a], results[b], metric)
            outcome = (
                "held" if mean > NOISE_SIGMAS * se else "not held" if mean < -NOISE_SIGMAS * se else "noise"
            )
            outcomes.append(outcome)
            rows.append(
                {
                    "a": a,
                    "b": b,
                    "metric": metric,
                    "a_value": results[a].scores[metric],
                    "b_value": results[b].scores[metric],
                    "difference": mean,
                    "standard_error": se if math.isfinite(se) else None,  # one image: no error estimate
                    "outcome": outcome,
                }
            )
        short = min(plans[name].steps / plans[name].reference_steps for name in involved if name in plans)
        if short < INCONCLUSIVE_FRACTION:
            verdict = "inconclusive"
            why = f"schedule at {100 * short:.2g}% of the paper's (< {100 * INCONCLUSIVE_FRACTION:.0f}%)"
        elif "not held" in outcomes:
            verdict, why = "not held", "a comparison went the other way beyond noise"
        elif "noise" in outcomes:
            verdict, why = "inconclusive", f"a difference is within {NOISE_SIGMAS:g} standard errors"
        else:
            verdict, why = "held", f"every difference exceeds {NOISE_SIGMAS:g} standard errors"
        out.append({"claim": claim, "verdict": verdict, "why": why, "comparisons": rows})
    return out


def base_label(label: str) -> str:
    return label.removesuffix(" (Stage-1)")
