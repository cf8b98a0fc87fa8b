"""srzoo.checks, the public input checks, and the rule that built-in plugins use only public API."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import torch

import srzoo
from srzoo.checks import check_choice, check_image_batch, check_int, check_number, check_unit_range
from srzoo.errors import InputError

PLUGINS = Path(__file__).resolve().parents[1] / "plugins"


def _private_imports(source: str) -> list[str]:
    """Imports of ``srzoo._*`` (or private attributes from ``srzoo``) in one module's source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            private = [
                i for i, part in enumerate(parts) if i and part.startswith("_") and not part.startswith("__")
            ]
            if parts[0] == "srzoo" and private:
                found.append(".".join(parts[: private[0] + 1]))
    return found


def test_the_scan_finds_private_imports():
    assert _private_imports("from srzoo._imageops import check_image_batch") == ["srzoo._imageops"]
    assert _private_imports("import srzoo._plugins as p") == ["srzoo._plugins"]
    assert _private_imports("from srzoo import _plugins") == ["srzoo._plugins"]
    assert _private_imports("from srzoo.checks import check_int\nfrom ._common import x") == []


def test_built_in_plugins_import_only_public_srzoo_api():
    offenders = {
        str(path.relative_to(PLUGINS)): names
        for path in sorted(PLUGINS.rglob("*.py"))
        if (names := _private_imports(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}
    source = "\n".join(p.read_text(encoding="utf-8") for p in PLUGINS.rglob("*.py"))
    assert "srzoo._" not in source  # no string references (lazy factories) into private modules


def test_check_image_batch_messages():
    x = torch.rand(1, 3, 4, 4)
    assert check_image_batch(x, "lr") is x
    with pytest.raises(InputError, match=r"^lr must be a torch.Tensor of shape \(N, 3, H, W\), got list$"):
        check_image_batch([1], "lr")
    with pytest.raises(InputError, match=r"^lr must have shape \(N, 1, H, W\), got \(1, 3, 4, 4\)$"):
        check_image_batch(x, "lr", channels=1)
    with pytest.raises(InputError, match=r"^lr must be a float tensor in \[0, 1\], got dtype torch.uint8"):
        check_image_batch(x.to(torch.uint8), "lr")
    with pytest.raises(InputError, match=r"^lr must be non-empty, got shape \(0, 3, 4, 4\)$"):
        check_image_batch(x[:0], "lr")


def test_check_unit_range_allows_overshoot_and_names_the_cause():
    overshoot = torch.tensor([-0.2, 0.5, 1.2]).view(1, 3, 1, 1)
    assert check_unit_range(overshoot, "lr") is overshoot  # bicubic ringing is legitimate
    with pytest.raises(
        InputError, match=r"^lr has values up to 255.0: pass images scaled to \[0, 1\], e.g. x / 255$"
    ):
        check_unit_range(torch.tensor([0.0, 255.0]), "lr")
    with pytest.raises(InputError, match=r"^lr has values up to 1.8: .*e.g. x.clamp\(0, 1\)$"):
        check_unit_range(torch.tensor([0.0, 1.8]), "lr")
    with pytest.raises(
        InputError, match=r"^lr has values down to -1.0: .*map \[-1, 1\] images with \(x \+ 1\) / 2$"
    ):
        check_unit_range(torch.tensor([-1.0, 1.0]), "lr")
    for bad in (float("nan"), float("inf"), float("-inf")):
        with pytest.raises(InputError, match=r"^lr contains NaN or infinite values; pass finite images"):
            check_unit_range(torch.tensor([0.5, bad]), "lr")
    assert check_unit_range(torch.tensor([0.0, 1.0], dtype=torch.bfloat16)).dtype == torch.bfloat16


def test_argument_checks():
    assert check_int(3, "scale", minimum=1) == 3
    for bad in (0, True, 2.0, "2"):
        with pytest.raises(InputError, match=r"^scale must be an integer >= 1, got "):
            check_int(bad, "scale", minimum=1)
    with pytest.raises(InputError, match=r"^depth must be an integer in \[1, 8\], got 9$"):
        check_int(9, "depth", minimum=1, maximum=8)
    assert check_number(1, "weight", minimum=0, maximum=1) == 1.0
    for bad in (2, float("nan"), False, "x"):
        with pytest.raises(InputError, match=r"^weight must be a number in \[0, 1\], got "):
            check_number(bad, "weight", minimum=0, maximum=1)
    with pytest.raises(InputError, match=r"^c must be a finite number >= 0, got inf$"):
        check_number(float("inf"), "c", minimum=0)
    assert check_choice("y", "channel", ("y", "rgb")) == "y"
    with pytest.raises(InputError, match=r"^channel must be one of 'y', 'rgb', got 'luma'$"):
        check_choice("luma", "channel", ("y", "rgb"))
    with pytest.raises(InputError, match=r"^channel must be one of 'y', got \[\]$"):
        check_choice([], "channel", frozenset({"y"}))


def test_models_refuse_255_scaled_and_non_finite_inputs():
    model = srzoo.build("bicubic-x2")
    lr = torch.rand(1, 3, 8, 8)
    assert model(lr).shape == (1, 3, 16, 16)
    model(lr * 1.3 - 0.15)  # a degradation's overshoot is accepted
    with pytest.raises(
        InputError, match=r"^lr has values up to 2\d\d(\.\d+)?: pass images scaled to \[0, 1\], e.g. x / 255$"
    ):
        model(lr * 255)
    lr[0, 0, 0, 0] = float("nan")
    with pytest.raises(InputError, match=r"^lr contains NaN or infinite values"):
        model(lr)


def test_metrics_refuse_255_scaled_inputs():
    hr = torch.rand(1, 3, 16, 16)
    for name in ("psnr", "ssim", "gsm"):
        metric = srzoo.create("metric", name, scale=2)
        with pytest.raises(
            InputError, match=r"^sr has values up to .*: pass images scaled to \[0, 1\], e.g. x / 255$"
        ):
            metric(hr * 255, hr)
        with pytest.raises(InputError, match=r"^hr has values up to"):
            metric(hr, hr * 255)
        metric((hr * 1.2 - 0.1), hr)  # slight overshoot: rounded (and saturated) as the protocol says


def test_accepts_keyword_reads_functions_modules_and_kwargs():
    import torch

    from srzoo.checks import accepts_keyword

    class Random(torch.nn.Module):
        def forward(self, x, generator=None):
            return x

    assert accepts_keyword(Random(), "generator")
    assert accepts_keyword(lambda x, **options: x, "generator")
    assert not accepts_keyword(lambda x, seed=0: x, "generator")
    assert not accepts_keyword(max, "generator")  # a builtin without a signature
    assert accepts_keyword(srzoo.create("degradation", "blur"), "generator")
