"""The bench's figures (srzoo.bench.figures): crop choice of the comparison grids, stage strips."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import srzoo
from srzoo.bench.figures import _stage_figure, pick_crop, pick_gain_crops
from srzoo.bench.stages import STAGE_IMAGE, has_stages

TINY_STAGEGAN = """
base = "{base}"
name = "tiny-{base}"
input_multiple = 4

[[nodes]]
name = "s2"
args = {{ ngf = 4, num_downs = 4 }}

[[nodes]]
name = "sr"
args = {{ ngf = 4, n_blocks = 1 }}
"""
"""Stage-GAN ×4 at width 4 with 4-level U-Nets: the same graph, cheap to run."""


def _flat(value: int, side: int = 64) -> torch.Tensor:
    return torch.full((3, side, side), value, dtype=torch.uint8)


def test_gain_crops_are_where_the_learned_method_beats_bicubic_best_image_first():
    hr = [_flat(100), _flat(100), _flat(100)]
    bicubic = [_flat(140), _flat(140), _flat(140)]  # uniformly 40 grey levels off
    method = [_flat(140), _flat(140), _flat(140)]
    method[2][:, 40:56, 8:24] = 100  # exact in one 16×16 window of image 2
    method[0][:, 0:16, 48:64] = 120  # half-way in one window of image 0
    crops = pick_gain_crops(hr, bicubic, [method], side=16, count=3)
    assert crops == [(2, 40, 8, 16), (0, 0, 48, 16)]  # image 1 gains nowhere: left out


def test_gain_crops_average_the_methods_and_keep_one_window_when_none_gains():
    hr = [_flat(100)]
    bicubic = [_flat(100)]  # bicubic is perfect: no gain anywhere
    crops = pick_gain_crops(hr, bicubic, [[_flat(90)], [_flat(110)]], side=32, count=2)
    assert len(crops) == 1 and crops[0][0] == 0 and crops[0][3] == 32
    with pytest.raises(ValueError, match="at least one method"):
        pick_gain_crops(hr, bicubic, [])


def test_spread_crop_clips_the_window_to_small_images():
    images = [[_flat(0, 20)], [_flat(0, 20)]]
    images[1][0][:, 4:8, 4:8] = 255
    assert pick_crop(images, side=96) == (0, 0, 0, 20)


def _tiny(tmp_path: Path, base: str) -> Path:
    text = TINY_STAGEGAN.format(base=base)
    if base == "stagegan-x4":
        text += '\n[[nodes]]\nname = "sem"\nargs = { ngf = 4, num_downs = 4 }\n'
    path = tmp_path / f"tiny-{base}.toml"
    path.write_text(text)
    return path


def test_only_graphs_with_learned_intermediate_stages_have_stages():
    assert has_stages(srzoo.build("stagegan-x8-small")) and has_stages(srzoo.build("stagegan-x4-nosem"))
    assert not has_stages(srzoo.build("srcnn-x4"))  # its bicubic MR node learns nothing
    assert not has_stages(srzoo.build("lapsrn-x4")) and not has_stages(srzoo.build("bicubic-x4"))


@pytest.mark.usefixtures("one_thread")
def test_bench_out_draws_one_stage_strip_per_multi_stage_method(tmp_path: Path, capsys) -> None:
    from srzoo.cli import main

    tiny = _tiny(tmp_path, "stagegan-x4")
    methods = f"bicubic-x4,srcnn-x4,{tiny}"
    out = tmp_path / "out"
    argv = ["bench", "--methods", methods, "--data", "charts:32", "--allow-untrained", "--out", str(out)]
    assert main(argv) == 0
    capsys.readouterr()
    assert sorted(p.name for p in out.glob("stages-*.png")) == ["stages-charts-tiny-stagegan-x4.png"]
    assert (out / "comparison-charts-x4.png").is_file()


@pytest.mark.usefixtures("one_thread")
def test_stage_strip_shows_every_node_in_graph_order_mapped_to_unit_range(tmp_path: Path) -> None:
    tiny, nosem = _tiny(tmp_path, "stagegan-x4"), _tiny(tmp_path, "stagegan-x4-nosem")
    bicubic, stagegan, ablation = srzoo.bench(
        ["bicubic-x4", str(tiny), str(nosem)], ["charts:32"], allow_untrained=True, keep_images=True
    )
    assert bicubic.stages == ()
    assert stagegan.stage_source == STAGE_IMAGE == "facade"  # the facade chart, not the first one
    assert [s.label for s in stagegan.stages] == [
        "mr: MR image (bicubic)",
        "sem: semantic map (G0)",
        "s2: Stage-1 image (G1)",
        "sr: Stage-2 image, the SR output (G2)",
    ]
    assert all(s.image.dtype == torch.uint8 and s.image.shape == (3, 32, 32) for s in stagegan.stages)
    # the MR node works in [-1, 1]; shown in [0, 1] it is bicubic's image of the same chart
    facade = [s.name for s in bicubic.per_image].index("facade")
    difference = stagegan.stages[0].image.int() - bicubic.sr_images[facade].int()
    assert difference.abs().max() <= 1
    figure = _stage_figure(stagegan)
    assert [axis.get_title() for axis in figure.axes][:2] == [
        "mr: MR image (bicubic)",
        "sem: semantic map (G0)",
    ]
    assert len(figure.axes) == 4 and len(_stage_figure(ablation).axes) == 3
    assert "(untrained weights)" in figure._suptitle.get_text()
