"""The spandrel plugin: published checkpoints (made here with spandrel's own classes, random weights,
no downloads) run in srzoo exactly as in spandrel, tiled or not, are benchmarked, and a malicious
pickle is refused without running."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
import torch

import srzoo
from srzoo.cli import main

spandrel = pytest.importorskip("spandrel")

from safetensors.torch import save_file
from spandrel.architectures.Compact import Compact
from spandrel.architectures.ESRGAN import ESRGAN
from spandrel.architectures.SPAN import SPAN
from spandrel.architectures.SwinIR import SwinIR


def _networks() -> dict[str, tuple[torch.nn.Module, int, int | None]]:
    """name -> (network, scale, srzoo's receptive field or None)."""
    torch.manual_seed(0)
    return {
        "compact": (Compact(num_feat=8, num_conv=3, upscale=4), 4, 5),
        "span": (SPAN(num_in_ch=3, num_out_ch=3, feature_channels=8, upscale=2), 2, 21),
        "esrgan": (ESRGAN(num_filters=8, num_blocks=1, scale=2), 2, 21),
        "swinir": (
            SwinIR(
                upscale=2,
                img_size=16,
                window_size=4,
                embed_dim=12,
                depths=[2],
                num_heads=[2],
                mlp_ratio=2.0,
                upsampler="pixelshuffledirect",
            ),
            2,
            None,
        ),
    }


ARCHITECTURES = {"compact": "Compact", "span": "SPAN", "esrgan": "ESRGAN", "swinir": "SwinIR"}


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    folder = tmp_path_factory.mktemp("checkpoints")
    files = {}
    for name, (net, _, _) in _networks().items():
        # the layouts checkpoints are published in: a plain state dict, and one wrapped as BasicSR saves it
        state = {k: v.detach().clone().contiguous() for k, v in net.state_dict().items()}
        torch.save({"params_ema": state}, folder / f"{name}.pth")
        save_file(state, str(folder / f"{name}.safetensors"))
        files[(name, ".pth")] = folder / f"{name}.pth"
        files[(name, ".safetensors")] = folder / f"{name}.safetensors"
    return files


CASES = [(name, suffix) for name in ARCHITECTURES for suffix in (".pth", ".safetensors")]


def _spandrel_forward(path: Path, lr: torch.Tensor) -> torch.Tensor:
    descriptor = spandrel.ModelLoader().load_from_file(path)
    return descriptor(lr.clone())


@pytest.mark.parametrize(("name", "suffix"), CASES)
def test_output_equals_spandrels_own_forward(checkpoints, name: str, suffix: str) -> None:
    path = checkpoints[(name, suffix)]
    model = srzoo.load_checkpoint(path)
    _, scale, radius = _networks()[name]
    assert model.recipe.name == name  # labelled by the file's stem
    assert model.scale == scale and model.receptive_field == radius
    lr = torch.rand(1, 3, 19, 14, generator=torch.Generator().manual_seed(1))  # odd sizes: padding paths
    with torch.no_grad():
        ours = model(lr)
    expected = _spandrel_forward(path, lr)
    assert ours.shape == (1, 3, 19 * scale, 14 * scale)
    assert (ours - expected).abs().max().item() <= 1e-5


@pytest.mark.parametrize("name", ["compact", "span", "esrgan"])
def test_exact_tiles_equal_the_whole_image_and_spandrel(checkpoints, name: str) -> None:
    path = checkpoints[(name, ".safetensors")]
    model = srzoo.load_checkpoint(path)
    radius = model.receptive_field
    lr = torch.rand(1, 3, 2 * radius + 20, 2 * radius + 13, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        whole = model(lr)
        tiled = model(lr, tile=2 * radius + 7)  # several tiles on each axis
    assert (tiled - whole).abs().max().item() <= 1e-5
    assert (tiled - _spandrel_forward(path, lr)).abs().max().item() <= 1e-5


def test_windowed_attention_is_tiled_with_cross_fades(checkpoints) -> None:
    model = srzoo.load_checkpoint(checkpoints[("swinir", ".pth")])
    assert model.receptive_field is None  # shifted windows: no exact tiling, cross-faded tiles instead
    lr = torch.rand(1, 3, 40, 36, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        tiled = model(lr, tile=24, tile_overlap=8)
    assert tiled.shape == (1, 3, 80, 72) and 0 <= tiled.min() and tiled.max() <= 1


def test_label_and_description(checkpoints) -> None:
    model = srzoo.load_checkpoint(checkpoints[("esrgan", ".pth")], name="my-esrgan")
    assert model.recipe.name == "my-esrgan"
    assert "ESRGAN" in model.recipe.description and "×2" in model.recipe.description


def test_bench_scores_checkpoints_under_the_protocol(checkpoints) -> None:
    results = srzoo.bench(
        ["bicubic-x2", str(checkpoints[("span", ".safetensors")])],
        ["charts:48"],
        metrics=["psnr"],
        weights={"esr": checkpoints[("esrgan", ".pth")]},
        limit=1,
    )
    by_method = {r.method: r for r in results}
    assert list(by_method) == ["bicubic-x2", "span", "esr"]
    for label in ("span", "esr"):
        result = by_method[label]
        assert result.trained and result.scale == 2 and result.images == 1
        assert 0 < result.psnr < 100 and result.parameters > 0 and result.gflops_per_image > 0
        assert result.protocol.weights["sha256"] and result.protocol.weights["path"].endswith(
            ".safetensors" if label == "span" else ".pth"
        )


def test_cli_bench_info_and_upscale(checkpoints, tmp_path: Path, capsys) -> None:
    compact = checkpoints[("compact", ".pth")]
    assert (
        main(
            [
                "bench",
                "--methods",
                f"bicubic-x4,{compact}",
                "--data",
                "charts:32",
                "--limit",
                "1",
                "--metrics",
                "psnr",
                "--format",
                "csv",
            ]
        )
        == 0
    )
    rows = capsys.readouterr().out.splitlines()
    assert list(dict.fromkeys(row.split(",")[0] for row in rows[1:])) == ["bicubic-x4", "compact"]

    assert main(["info", str(compact)]) == 0
    out = capsys.readouterr().out
    assert "RealESRGAN Compact" in out and "×4" in out and "parameters" in out and "GFLOP" in out
    assert f"{sum(p.numel() for p in _networks()['compact'][0].parameters()):,}" in out

    source = tmp_path / "in.png"
    srzoo.imageio.write_image(torch.rand(3, 21, 17, generator=torch.Generator().manual_seed(4)), source)
    out_png = tmp_path / "out.png"
    assert (
        main(
            ["upscale", str(source), "-m", str(compact), "--label", "rx", "-o", str(out_png), "--tile", "12"]
        )
        == 0
    )
    assert "by rx" in capsys.readouterr().out
    written = srzoo.imageio.read_image(out_png)
    with torch.no_grad():
        expected = srzoo.load_checkpoint(compact)(srzoo.imageio.read_image(source)[None])[0]
    assert written.shape == (3, 84, 68)
    assert (written - expected).abs().max().item() <= 1 / 255 + 1e-6  # 8-bit PNG


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("layout", ["zip", "legacy"])
@pytest.mark.parametrize("command", ["info", "upscale", "bench"])
def test_code_running_pickle_is_refused_and_never_runs(
    tmp_path: Path, capsys, layout: str, command: str
) -> None:
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pth"
    payload = {"body.0.weight": torch.zeros(1), "x": _Payload(marker)}
    if layout == "zip":
        torch.save(payload, evil)
    else:
        with open(evil, "wb") as handle:
            pickle.dump(payload, handle)
    argv = {
        "info": ["info", str(evil)],
        "upscale": ["upscale", "chart:text", "-m", str(evil), "-o", str(tmp_path / "o.png")],
        "bench": ["bench", "--methods", str(evil), "--data", "charts:32", "--limit", "1"],
    }[command]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "refused" in err and "forbidden" in err and str(evil) in err
    assert not marker.exists()


def test_unrecognised_and_damaged_files_are_one_line(tmp_path: Path, capsys) -> None:
    unknown = tmp_path / "mystery.safetensors"
    save_file({"encoder.foo": torch.zeros(2, 2)}, str(unknown))
    assert main(["info", str(unknown)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "spandrel does not recognise this architecture" in err

    damaged = tmp_path / "cut.pth"
    damaged.write_bytes(b"PK\x03\x04 not really a zip")
    assert main(["upscale", "chart:text", "-m", str(damaged), "-o", str(tmp_path / "o.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"error: {damaged}: not a readable .pth checkpoint")


def test_recipe_of_a_spandrel_generator_takes_a_published_pth(tmp_path: Path) -> None:
    """A recipe of a spandrel generator takes a published .pth with --weights (the converter), and
    srzoo's weights of it load in spandrel."""
    torch.manual_seed(5)
    net = Compact(num_feat=32, num_conv=8, upscale=4)
    pth = tmp_path / "published.pth"
    torch.save({"params": net.state_dict()}, pth)
    model = srzoo.build("spandrel-compact-x4", weights=pth)
    lr = torch.rand(1, 3, 11, 9)
    with torch.no_grad():
        assert (model(lr) - _spandrel_forward(pth, lr)).abs().max().item() <= 1e-5
    # srzoo's own weights (stages.sr.*) are a state dict spandrel reads after dropping the prefix
    state = {k.removeprefix("stages.sr."): v for k, v in model.state_dict().items()}
    assert spandrel.ModelLoader().load_from_state_dict(state).architecture.id == "Compact"


def test_recipe_file_of_a_checkpoint_shows_the_published_gap(checkpoints, tmp_path: Path) -> None:
    pth = checkpoints[("compact", ".pth")]
    recipe = tmp_path / "my-compact.toml"
    recipe.write_text(
        f'name = "my-compact"\nscale = 4\n\n[[nodes]]\nname = "sr"\ngenerator = "spandrel-checkpoint"\n'
        f'args = {{ path = "{pth}" }}\n\n[[published]]\ndataset = "charts"\nmetric = "psnr"\nvalue = 20.0\n'
        'source = "a table"\n'
    )
    [result] = srzoo.bench(
        [str(recipe)], ["charts:32"], metrics=["psnr"], weights={str(recipe): pth}, limit=1
    )
    assert result.method == "my-compact" and result.trained
    [gap] = result.published
    assert (gap.value, gap.source) == (20.0, "a table") and gap.gap == pytest.approx(result.psnr - 20.0)


def test_srzoo_train_trains_the_shipped_recipe(tmp_path: Path) -> None:
    """``srzoo train spandrel-compact-x4`` (shrunk) runs, and its weights load back in spandrel."""
    folder = tmp_path / "hr"
    folder.mkdir()
    for i in range(2):
        srzoo.imageio.write_image(
            torch.rand(3, 48, 48, generator=torch.Generator().manual_seed(i)), folder / f"{i}.png"
        )
    result = srzoo.train(
        "spandrel-compact-x4",
        folder,
        tmp_path / "run",
        max_steps=2,
        val="",
        batch_size=2,
        patch_size=32,
        overrides={"sr.num_feat": 8, "sr.num_conv": 1},
    )
    trained = srzoo.build("spandrel-compact-x4", weights=result.weights, sr={"num_feat": 8, "num_conv": 1})
    state = {k.removeprefix("stages.sr."): v for k, v in trained.state_dict().items()}
    descriptor = spandrel.ModelLoader().load_from_state_dict(state)
    lr = torch.rand(1, 3, 9, 7)
    with torch.no_grad():
        assert (trained(lr) - descriptor(lr.clone())).abs().max().item() <= 1e-5
