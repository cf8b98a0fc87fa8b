"""``srzoo upscale``: exact tiling from the receptive field, streamed PNGs, refusals, failures per file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import srzoo
from srzoo._io.png_stream import PNGBandWriter
from srzoo.cli import main
from srzoo.errors import InputError
from srzoo.imageio import read_image, write_image
from srzoo.tiling import receptive_field


def _support_radius(model: srzoo.SRModel, side: int = 32) -> int:
    """How far (LR pixels) from an output pixel's position the input pixels it depends on reach."""
    torch.manual_seed(0)
    lr = torch.rand(1, 3, side, side, dtype=torch.float64, requires_grad=True)
    with torch.enable_grad():
        sr = model.run_graph(lr)["sr"]  # unclamped: the [0, 1] clamp would hide the dependence
        centre = side * model.scale // 2
        sr[0, :, centre, centre].sum().backward()
    rows, cols = torch.nonzero(lr.grad.abs().sum((0, 1)) > 0, as_tuple=True)
    position = (centre + 0.5) / model.scale - 0.5
    return int(max((rows - position).abs().max(), (cols - position).abs().max()).ceil())


def _random_weights(model: srzoo.SRModel) -> srzoo.SRModel:
    torch.manual_seed(1)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.2)
    return model


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("bicubic-x4", {}),
        ("srcnn-x4", {}),
        ("lapsrn-x4", {"sr": {"depth": 2}}),
        ("lapsrn-x8", {"sr": {"depth": 1}}),
    ],
)
def test_receptive_field_bounds_the_real_dependence(name, overrides):
    model = _random_weights(srzoo.build(name, **overrides)).double()
    radius = receptive_field(model)
    support = _support_radius(model)
    assert support <= radius <= support + 4, (support, radius)


@pytest.mark.parametrize(
    ("name", "overrides", "extra"),
    [("bicubic-x4", {}, (1, 5)), ("srcnn-x4", {}, (5, 9)), ("lapsrn-x4", {"sr": {"depth": 2}}, (7,))],
)
def test_tiled_equals_untiled(name, overrides, extra):
    model = _random_weights(srzoo.build(name, **overrides)).double()
    radius = receptive_field(model)
    lr = torch.rand(1, 3, 2 * radius + 9, 2 * radius + 5, dtype=torch.float64)
    with torch.no_grad():
        whole = model(lr)
        for tile in (2 * radius + e for e in extra):
            tiled = model(lr, tile=tile)
            assert (tiled - whole).abs().max() < 1e-9, tile
            bands = list(model.upscale_bands(lr, tile))
            assert torch.equal(torch.cat([b for _, b in bands], dim=-2), tiled)
            assert [top for top, _ in bands] == sorted(top for top, _ in bands)


@pytest.mark.slow
def test_lapsrn_x4_released_depth_tiles_exactly():
    model = _random_weights(srzoo.build("lapsrn-x4")).double()
    radius = receptive_field(model)
    assert _support_radius(model, side=48) <= radius
    lr = torch.rand(1, 3, 2 * radius + 20, 2 * radius + 12, dtype=torch.float64)
    with torch.no_grad():
        whole, tiled = model(lr), model(lr, tile=2 * radius + 8)
    assert (tiled - whole).abs().max() * 255 < 1.0  # within one 8-bit level (in fact ~1e-12)


def test_unet_models_have_no_finite_receptive_field():
    assert receptive_field(srzoo.build("stagegan-x4", sem={"ngf": 4}, s2={"ngf": 4}, sr={"ngf": 4})) is None


def test_tile_smaller_than_the_context_is_refused(capsys, tmp_path: Path):
    radius = receptive_field(srzoo.build("bicubic-x4"))
    for tile in ("1", "3"):
        assert (
            main(["upscale", "chart:text", "-m", "bicubic-x4", "-o", str(tmp_path / "x.png"), "--tile", tile])
            == 2
        )
        err = capsys.readouterr().err.strip()
        assert err == (
            f"error: chart:text: tile {tile} is too small for bicubic-x4: each output pixel depends on {radius} "
            f"LR pixels around it, so a tile needs at least {2 * radius + 1} (use a tile of 64 or more)"
        )
    assert not any(tmp_path.iterdir())
    with pytest.raises(InputError, match="below the receptive field"):
        srzoo.build("bicubic-x4")(torch.rand(1, 3, 20, 20), tile=10, tile_overlap=1)


def test_cli_tiles_stream_to_the_same_png_as_the_whole_image(tmp_path: Path):
    source = write_image(torch.rand(3, 37, 45), tmp_path / "in.png")
    assert (
        main(["upscale", str(source), "-m", "bicubic-x4", "-o", str(tmp_path / "tiled.png"), "--tile", "9"])
        == 0
    )
    assert (
        main(["upscale", str(source), "-m", "bicubic-x4", "-o", str(tmp_path / "whole.png"), "--tile", "64"])
        == 0
    )
    write_image(srzoo.build("bicubic-x4")(read_image(source)[None]), tmp_path / "pillow.png")
    tiled = np.asarray(Image.open(tmp_path / "tiled.png")).astype(int)
    whole = np.asarray(Image.open(tmp_path / "whole.png")).astype(int)
    pillow = np.asarray(Image.open(tmp_path / "pillow.png")).astype(int)
    assert tiled.shape == (148, 180, 3)
    assert np.abs(tiled - whole).max() <= 1 and np.abs(whole - pillow).max() <= 1


def test_png_band_writer_round_trips_and_is_atomic(tmp_path: Path):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (23, 17, 3), dtype=np.uint8)
    target = tmp_path / "x.png"
    with PNGBandWriter(target, 17, 23) as png:
        for start in range(0, 23, 5):
            png.write(image[start : start + 5])
    assert np.array_equal(np.asarray(Image.open(target)), image)
    with (
        pytest.raises(InputError, match="got 5 of 23 rows"),
        PNGBandWriter(tmp_path / "y.png", 17, 23) as png,
    ):
        png.write(image[:5])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.png"]  # nothing half-written


def test_learned_model_without_weights_is_refused(tmp_path: Path, capsys):
    out = tmp_path / "x.png"
    source = write_image(torch.rand(3, 12, 10), tmp_path / "in.png")
    assert main(["upscale", str(source), "-m", "srresnet-x4", "-o", str(out)]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: srresnet-x4 is a learned model and no weights were given: its output would be noise from "
        "random weights and srzoo ships none for it; pass --weights PATH (or --allow-untrained)"
    )
    assert not out.exists()
    assert main(["upscale", str(source), "-m", "srresnet-x4", "-o", str(out), "--allow-untrained"]) == 0
    assert read_image(out).shape == (3, 48, 40)


def test_fast_path_plain_model_and_bf16_agree(tmp_path: Path):
    weights = srzoo.save_weights(srzoo.build("srcnn-x4"), tmp_path / "w.safetensors")
    source = write_image(torch.rand(3, 24, 20), tmp_path / "in.png")
    outputs = {}
    for flag in ("", "--no-fast", "--bf16"):
        target = tmp_path / f"out{flag}.png"
        argv = ["upscale", str(source), "-m", "srcnn-x4", "--weights", str(weights), "-o", str(target)]
        assert main(argv + ([flag] if flag else [])) == 0
        outputs[flag] = np.asarray(Image.open(target)).astype(int)
    assert np.abs(outputs[""] - outputs["--no-fast"]).max() <= 1
    assert np.abs(outputs["--bf16"] - outputs["--no-fast"]).max() <= 4  # bf16: ~1e-2 on [0, 1]


def test_unwritable_suffix_is_refused_not_made_a_folder(tmp_path: Path, capsys):
    out = tmp_path / "x.gif"
    assert main(["upscale", "chart:text", "-m", "bicubic-x4", "-o", str(out)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: --out {out}: srzoo cannot write .gif images; use .png, .jpg, .webp, .tif or .bmp, or a folder"
    )
    assert not out.exists()


def test_folder_run_continues_past_bad_files_and_reports_them(tmp_path: Path, capsys):
    source = tmp_path / "in"
    write_image(torch.rand(3, 8, 8), source / "a.png")
    (source / "b.png").write_bytes(b"not a png at all")
    write_image(torch.rand(3, 6, 10), source / "c.jpg")
    out = tmp_path / "out"
    assert main(["upscale", str(source), "-m", "bicubic-x2", "-o", str(out)]) == 2
    captured = capsys.readouterr()
    assert "wrote 2 of 3 image(s)" in captured.out
    failures = [line for line in captured.err.splitlines() if line.startswith("failed:")]
    assert len(failures) == 1 and str(source / "b.png") in failures[0]
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "c.png"]
    assert read_image(out / "c.png").shape == (3, 12, 20)


def test_out_of_memory_gives_one_line_with_the_tile_hint(tmp_path: Path, capsys, monkeypatch):
    import srzoo.inference.upscaling

    def exhausted(*args, **kwargs):
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory")

    monkeypatch.setattr(srzoo.inference.upscaling, "upscale_to_file", exhausted)
    out = tmp_path / "x.png"
    assert main(["upscale", "chart:text", "-m", "bicubic-x4", "-o", str(out), "--tile", "128"]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: chart:text: out of memory upscaling with tile 128; pass a smaller --tile (e.g. --tile 64)"
    )


def test_auto_tile_is_bounded_and_leaves_a_core():
    from srzoo.inference.upscaling import MAX_TILE, auto_tile

    model = srzoo.optimize_for_inference(srzoo.build("lapsrn-x4", sr={"depth": 2}))
    tile = auto_tile(model, torch.device("cpu"))
    assert 2 * receptive_field(model) < tile <= MAX_TILE


def test_resize_blocks_never_build_the_dense_matrix(monkeypatch):
    from srzoo_plugins.bicubic import weights

    reference = {}
    for args in ((37, 148, 4.0), (148, 37, 0.25), (1000, 125, 0.125)):
        dense = weights.resize_matrix_np(*args)
        reference[args] = dense
    weights.resize_blocks.cache_clear()
    monkeypatch.setattr(weights, "resize_matrix_np", lambda *a, **k: pytest.fail("dense matrix built"))
    for (n_in, n_out, factor), dense in reference.items():
        blocks = weights.resize_blocks(n_in, n_out, factor, True, torch.device("cpu"), torch.float64)
        rebuilt = np.zeros_like(dense)
        for block in blocks:
            rebuilt[block.start : block.stop, block.lo : block.hi] = block.matrix.numpy()
        assert np.array_equal(rebuilt, dense)
    big = weights.resize_blocks(12000, 48000, 4.0, True, torch.device("cpu"), torch.float32)
    assert sum(b.matrix.numel() for b in big) < 48000 * 300
    weights.resize_blocks.cache_clear()


def test_rgba_png_keeps_its_alpha_upscaled_by_bicubic(tmp_path: Path):
    rng = np.random.default_rng(3)
    rgba = rng.integers(0, 256, (13, 11, 4), dtype=np.uint8)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "in.png")
    out = tmp_path / "out.png"
    assert main(["upscale", str(tmp_path / "in.png"), "-m", "bicubic-x2", "-o", str(out), "--tile", "8"]) == 0
    result = np.asarray(Image.open(out))
    assert result.shape == (26, 22, 4)
    up = srzoo.create("degradation", "bicubic", scale=2, direction="up")
    alpha = torch.from_numpy(rgba[..., 3].astype(np.float32) / 255)[None, None]
    expected = np.floor(up(alpha).clamp(0, 1)[0, 0].numpy() * 255 + 0.5).astype(int)
    assert np.abs(result[..., 3].astype(int) - expected).max() <= 1
    colour = srzoo.build("bicubic-x2")(read_image(tmp_path / "in.png")[None])[0]
    assert (
        np.abs(result[..., :3].astype(int) - np.floor(colour.permute(1, 2, 0).numpy() * 255 + 0.5)).max() <= 1
    )


def test_gray_and_palette_inputs_upscale(tmp_path: Path):
    gray = Image.fromarray(np.arange(120, dtype=np.uint8).reshape(10, 12), "L")
    gray.save(tmp_path / "gray.png")
    gray.convert("P").save(tmp_path / "palette.png", transparency=0)
    out = tmp_path / "out"
    assert main(["upscale", str(tmp_path), "-m", "bicubic-x2", "-o", str(out)]) == 0
    assert np.asarray(Image.open(out / "gray.png")).shape == (20, 24, 3)
    assert np.asarray(Image.open(out / "palette.png")).shape == (20, 24, 4)


@pytest.mark.parametrize("command", ["upscale", "train"])
def test_set_values_are_checked_against_the_key(command, tmp_path: Path, capsys):
    head = ["upscale", "chart:text", "-m"] if command == "upscale" else ["train", "--data", str(tmp_path)]
    args = [*head, "stagegan-x8", "--set", "sem.dropout_at_inference=maybe", "--out", str(tmp_path / "o")]
    assert main(args) == 2
    assert (
        capsys.readouterr().err.strip()
        == "error: --set sem.dropout_at_inference=maybe: expected true or false"
    )


def test_upscale_set_values_reach_the_recipe_typed(tmp_path: Path, capsys, monkeypatch):
    from srzoo.errors import SrzooError

    seen = {}

    def fake_build(recipe, **kwargs):
        seen.update(next(n for n in recipe.nodes if n.name == "sem").args)
        raise SrzooError("stop here")

    import srzoo.inference.loading

    monkeypatch.setattr(srzoo.inference.loading, "build", fake_build)  # upscale builds through it
    args = ["upscale", "chart:text", "-m", "stagegan-x8", "--set", "sem.dropout_at_inference=False"]
    assert main([*args, "--set", "sem.ngf=8", "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.strip() == "error: stop here"
    assert seen["dropout_at_inference"] is False and seen["ngf"] == 8
