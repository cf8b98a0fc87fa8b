"""``srzoo bench`` and ``srzoo.bench``: protocol cards, published gaps, formats, refusals, figures."""

from __future__ import annotations

import csv
import io
import json
import statistics
from pathlib import Path

import pytest
import srzoo_recipes
import torch

import srzoo
from srzoo.bench import resolve_data
from srzoo.bench.report import group_by_protocol, to_csv, to_json, to_markdown
from srzoo.cli import main
from srzoo.errors import InputError
from srzoo.imageio import read_image, write_image


def _images(folder: Path, count: int = 2, side: int = 40, seed: int = 0) -> Path:
    generator = torch.Generator().manual_seed(seed)
    for i in range(count):
        smooth = torch.nn.functional.interpolate(
            torch.rand(1, 3, side // 4, side // 4, generator=generator), size=(side, side + 4), mode="bicubic"
        )
        write_image(smooth.clamp(0, 1)[0], folder / f"img{i}.png")
    return folder


def test_readme_main_job_writes_tables_and_figures(tmp_path: Path, capsys):
    out = tmp_path / "srzoo-bench"
    assert main(["bench", "--out", str(out)]) == 0  # the README's main job, as is
    table = capsys.readouterr().out
    assert "bicubic-x4" in table and "bicubic-x8" in table and "charts" in table
    document = json.loads((out / "results.json").read_text())
    assert [(r["method"], r["scale"], r["images"]) for r in document["results"]] == [
        ("bicubic-x4", 4, 5),
        ("bicubic-x8", 8, 5),
        ("lapsrn-x4", 4, 5),  # the weights srzoo ships (tests/test_shipped_weights.py)
        ("lapsrn-x8", 8, 5),
        ("srcnn-x4", 4, 5),
        ("srcnn-x8", 8, 5),
        ("stagegan-x4-small", 4, 5),
        ("stagegan-x8-small", 8, 5),
    ]
    for name in (
        "results.csv",
        "results.md",
        "comparison-charts-x4.png",
        "comparison-charts-x8.png",
        "stages-charts-stagegan-x4-small.png",
        "stages-charts-stagegan-x8-small.png",
        "speed-charts.png",
    ):
        assert (out / name).stat().st_size > 0, name
    assert not list(out.glob(".*partial"))


def test_json_document_carries_the_protocol_card_and_per_image_scores(tmp_path: Path, capsys):
    data = _images(tmp_path / "mine")
    assert main(["bench", "--methods", "bicubic-x2", "--data", str(data), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["protocol"]["channel"] == "y" and document["protocol"]["y"] == "rounded"
    assert document["protocol"]["shave"] == "scale"
    assert document["protocol"]["lr"] == {
        "source": "degradation",
        "degradation": "bicubic",
        "args": {"rounding": "per-pass"},
        "seed": None,
        "rounding": "8-bit",
    }
    [result] = document["results"]
    assert result["dataset"] == "mine" and result["images"] == 2 and result["parameters"] == 0
    card = result["protocol"]
    assert card["versions"] == {"srzoo": srzoo.__version__, "torch": torch.__version__}
    assert card["device"] == "cpu" and card["fast"] is True and card["weights"] is None
    assert len(card["dataset"]["sha256"]) == 64 and card["dataset"]["images"] == 2
    per_image = result["per_image"]
    assert [p["name"] for p in per_image] == ["img0", "img1"]
    assert all(len(p["sha256"]) == 64 for p in per_image)
    for metric in ("psnr", "ssim", "gsm"):
        assert result[metric] == pytest.approx(statistics.fmean(p[metric] for p in per_image))
    assert result["ms_per_image"] == pytest.approx(statistics.median(p["ms"] for p in per_image))
    assert result["published"] == {}


def test_scores_equal_the_metric_plugins_on_the_same_lr(tmp_path: Path):
    data = _images(tmp_path / "set")
    [result] = srzoo.bench(["bicubic-x4"], [str(data)], metrics=["psnr", "ssim"])
    model = srzoo.build("bicubic-x4")
    down = srzoo.create("degradation", "bicubic", scale=4, rounding="per-pass")
    psnr = srzoo.create("metric", "psnr", scale=4)
    from srzoo.imageio import quantize_8bit, read_image

    expected = []
    for file in sorted(data.iterdir()):
        hr = read_image(file)[None]
        hr = hr[..., : hr.shape[-2] // 4 * 4, : hr.shape[-1] // 4 * 4]
        expected.append(float(psnr(quantize_8bit(model(quantize_8bit(down(hr)))), hr)))
    assert [s.scores["psnr"] for s in result.per_image] == pytest.approx(expected, abs=1e-9)
    assert result.psnr == pytest.approx(statistics.fmean(expected))


def test_learned_method_without_weights_is_refused_in_one_line(capsys):
    assert main(["bench", "--methods", "srresnet-x4", "--data", "charts:32"]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: srresnet-x4: a learned method without weights would be scored with random weights and "
        "srzoo ships none for it; pass --weights srresnet-x4=PATH (or --allow-untrained for a speed-only run)"
    )


@pytest.mark.parametrize("pretrained", [[], ["--pretrained"]])  # --pretrained: the default, still accepted
def test_shipped_weights_are_the_default_and_named_in_every_format(capsys, pretrained: list[str]):
    argv = ["bench", "--methods", "srcnn-x4,bicubic-x4", "--data", "charts:32", "--limit", "1", *pretrained]
    assert main([*argv, "--format", "json"]) == 0
    srcnn, bicubic = json.loads(capsys.readouterr().out)["results"]
    assert (srcnn["weights"], srcnn["trained"], bicubic["weights"]) == ("shipped", True, "none")
    assert srcnn["protocol"]["weights"]["source"] == "shipped"
    assert srcnn["protocol"]["weights"]["file"] == "srzoo_recipes:weights/srcnn-x4.safetensors"
    assert srcnn["protocol"]["weights"]["sha256"] == srzoo.get_recipe("srcnn-x4").pretrained.sha256
    assert srcnn["psnr"] > 10 and srcnn["ssim"] is not None
    assert main([*argv, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["method"], r["weights"], r["image"]) for r in rows] == [
        ("srcnn-x4", "shipped", "siemens-star"),
        ("srcnn-x4", "shipped", "mean"),
        ("bicubic-x4", "none", "siemens-star"),
        ("bicubic-x4", "none", "mean"),
    ]
    assert main([*argv, "--format", "markdown"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].startswith("| method | weights | dataset | scale | images | psnr |")
    assert lines[4].startswith("| srcnn-x4 | shipped | charts | ×4 | 1 | ")
    assert lines[5].startswith("| bicubic-x4 | none | charts | ×4 | 1 | ")


def test_allow_untrained_times_but_never_scores(capsys):
    argv = ["bench", "--methods", "srresnet-x4,bicubic-x4", "--data", "charts:32", "--limit", "2"]
    assert main([*argv, "--allow-untrained", "--format", "json"]) == 0
    srresnet, bicubic = json.loads(capsys.readouterr().out)["results"]
    assert srresnet["trained"] is False and srresnet["psnr"] is None and srresnet["ssim"] is None
    assert srresnet["weights"] == "untrained" and srresnet["protocol"]["weights"] is None
    assert srresnet["ms_per_image"] > 0 and srresnet["parameters"] > 0 and srresnet["images"] == 2
    assert all(set(p) == {"name", "sha256", "ms"} for p in srresnet["per_image"])
    assert bicubic["trained"] is True and bicubic["psnr"] > 10


def test_weights_file_is_hashed_into_the_card(tmp_path: Path):
    model = srzoo.build("srcnn-x4")
    path = srzoo.save_weights(model, tmp_path / "srcnn.safetensors")
    [result] = srzoo.bench(["srcnn-x4"], ["charts:32"], weights={"srcnn-x4": path}, limit=1, metrics=["psnr"])
    from srzoo.weights import sha256_of

    assert result.protocol.weights == {"source": "file", "path": str(path), "sha256": sha256_of(path)}
    assert result.weights == "srcnn.safetensors"
    assert result.trained and result.psnr is not None


def test_rows_are_labelled_by_recipe_name_or_label(tmp_path: Path, capsys):
    recipe = tmp_path / "runs" / "tiny" / "recipe.toml"
    recipe.parent.mkdir(parents=True)
    recipe.write_text(
        'name = "tiny-x2"\nscale = 2\noutput = "sr"\n\n[[nodes]]\nname = "sr"\ndegradation = "bicubic"\n'
        'args = { scale = 2, direction = "up" }\n'
    )
    argv = ["bench", "--methods", f"{recipe},bicubic-x4", "--data", "charts:32", "--limit", "1"]
    assert main([*argv, "--label", "bicubic-x4=Bicubic", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [r["method"] for r in document["results"]] == ["tiny-x2", "Bicubic"]  # not the file's path
    assert main([*argv, "--label", "bicubic-x8=B"]) == 2
    assert (
        capsys.readouterr()
        .err.strip()
        .startswith("error: --label bicubic-x8=...: 'bicubic-x8' is not among the methods")
    )
    assert main([*argv, "--label", "bicubic-x4"]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: --label 'bicubic-x4': expected METHOD=LABEL, e.g. lapsrn-x4=LapSRN-authors"
    )
    assert main([*argv, "--label", "bicubic-x4=tiny-x2"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {recipe} and bicubic-x4 would both be labelled 'tiny-x2'; "
        "tell them apart with --label bicubic-x4=LABEL"
    )


def test_fast_and_plain_paths_give_the_same_scores():
    fast = srzoo.bench(["bicubic-x4"], ["charts:64"], metrics=["psnr"], limit=2)[0]
    plain = srzoo.bench(["bicubic-x4"], ["charts:64"], metrics=["psnr"], limit=2, fast=False)[0]
    assert plain.protocol.fast is False and fast.protocol.fast is True
    assert fast.psnr == pytest.approx(plain.psnr, abs=1e-9)


def test_different_protocols_never_share_a_table(tmp_path: Path, capsys):
    hr = _images(tmp_path / "hr", side=32)
    lr = tmp_path / "lr"
    down = srzoo.create("degradation", "bicubic", scale=2)
    from srzoo.imageio import read_image

    for file in hr.iterdir():
        image = read_image(file)
        image = image[:, :32, :36]
        write_image(down(image[None])[0].clamp(0, 1), lr / f"{file.stem}x2.png")
    results = srzoo.bench(["bicubic-x2"], [str(hr), f"paired:{hr},{tmp_path / 'l{s}'}".replace("l{s}", "lr")])
    assert [r.protocol.lr.source for r in results] == ["degradation", "files"]
    assert len(group_by_protocol(results)) == 2
    markdown = to_markdown(results)
    assert markdown.count("### ") == 2 and "separate tables" in markdown
    assert json.loads(to_json(results))["protocol"]["mixed"] is True
    assert main(["bench", "--methods", "bicubic-x2", "--data", str(hr), "--data", f"paired:{hr},{lr}"]) == 0
    assert "separate tables" in capsys.readouterr().out


def test_csv_has_per_image_and_mean_rows(tmp_path: Path):
    results = srzoo.bench(["bicubic-x4"], ["charts:48"], metrics=["psnr", "ssim"], limit=3)
    rows = list(csv.DictReader(io.StringIO(to_csv(results))))
    assert [r["image"] for r in rows] == ["siemens-star", "zone-plate", "text", "mean"]
    assert float(rows[-1]["psnr"]) == pytest.approx(results[0].psnr)
    assert rows[0]["protocol"] == results[0].protocol.describe_key()


def test_seeded_degradation_gives_the_same_lr_to_every_method(throwaway_plugin):
    calls: list[float] = []

    class Noisy(torch.nn.Module):
        def __init__(self, scale: int) -> None:
            super().__init__()
            self.down = srzoo.create("degradation", "bicubic", scale=scale)

        def forward(self, hr: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
            noise = torch.randn(hr.shape, generator=generator) * 0.05
            calls.append(float(noise.sum()))
            return self.down(hr + noise)

    class Plugin:
        @srzoo.hookimpl
        def srzoo_register_degradations(self, register):
            register("test-noisy", Noisy)

    throwaway_plugin(Plugin(), "noisy-test-plugin")
    first = srzoo.bench(
        ["bicubic-x4"], ["charts:32"], metrics=["psnr"], degradation="test-noisy", seed=3, limit=2
    )
    again = srzoo.bench(
        ["bicubic-x4"], ["charts:32"], metrics=["psnr"], degradation="test-noisy", seed=3, limit=2
    )
    other = srzoo.bench(
        ["bicubic-x4"], ["charts:32"], metrics=["psnr"], degradation="test-noisy", seed=4, limit=2
    )
    assert first[0].psnr == again[0].psnr != other[0].psnr
    assert first[0].protocol.lr.degradation == "test-noisy" and first[0].protocol.lr.seed == 3
    assert first[0].protocol.key != other[0].protocol.key
    assert len(calls) == 6  # once per image and run: the LR is made once, not per method


def test_seed_without_degradation_and_bad_data_give_one_line(capsys, tmp_path: Path):
    assert main(["bench", "--methods", "bicubic-x4", "--seed", "1"]) == 2
    assert (
        capsys.readouterr().err.strip()
        == "error: --seed needs --degradation NAME (the bicubic protocol is not random)"
    )
    missing = tmp_path / "nope"
    assert main(["bench", "--methods", "bicubic-x4", "--data", str(missing)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: --data '{missing}': no such folder") and "\n" not in err
    assert main(["bench", "--methods", "bicubic-x4", "--metrics", "psnrr"]) == 2
    assert "did you mean 'psnr'" in capsys.readouterr().err


def test_data_specs_resolve(tmp_path: Path):
    (tmp_path / "set5" / "HR").mkdir(parents=True)
    assert resolve_data(str(tmp_path / "set5" / "HR")).name == "set5"
    assert resolve_data("charts:64").chart_side == 64
    facades = tmp_path / "facades" / "test"
    facades.mkdir(parents=True)
    for i in range(2):
        write_image(torch.rand(3, 256, 512), facades / f"{i + 1}.jpg")
    bench_set = resolve_data(f"{tmp_path / 'facades'}:test")
    assert (bench_set.kind, bench_set.name) == ("facades", "facades-test")
    [sample, _] = list(bench_set.samples(8))
    assert sample.hr.shape == (3, 256, 256) and sample.lr is None


def test_a_facades_split_folder_is_scored_on_its_photos_not_the_pairs(tmp_path: Path):
    # scored as plain images, photo | label pairs gave a Stage-GAN 3 dB below bicubic instead of 0.3
    split = tmp_path / "facades" / "test"
    split.mkdir(parents=True)
    pair = torch.rand(3, 256, 512)
    write_image(pair, split / "1.jpg")
    bench_set = resolve_data(str(split))
    assert (bench_set.kind, bench_set.name, bench_set.split) == ("facades", "facades-test", "test")
    [sample] = list(bench_set.samples(4))
    assert sample.hr.shape == (3, 256, 256)
    photo = read_image(split / "1.jpg")[..., :256]
    assert torch.equal(sample.hr, photo)
    renamed = tmp_path / "pairs"
    split.rename(renamed)
    with pytest.raises(
        InputError, match=r"holds 512x256 Facades photo \| label files; name the folder train, test, val"
    ):
        resolve_data(str(renamed))


@pytest.mark.shared_data
def test_set5_bicubic_x4_matches_the_published_table(data_dir: Path, capsys):
    argv = ["bench", "--methods", "bicubic-x4", "--data", str(data_dir / "set5" / "HR"), "--format", "json"]
    assert main(argv) == 0
    [result] = json.loads(capsys.readouterr().out)["results"]
    assert result["dataset"] == "set5" and result["images"] == 5
    assert result["psnr"] == pytest.approx(28.42, abs=0.01)
    assert result["ssim"] == pytest.approx(0.8104, abs=0.001)
    assert result["published"]["psnr"]["value"] == 28.42
    assert result["published"]["psnr"]["gap"] == pytest.approx(result["psnr"] - 28.42)
    assert result["protocol"]["y"] == "rounded" and result["protocol"]["shave"] == 4


@pytest.mark.shared_data
def test_set5_paired_matlab_lr_gives_the_same_numbers(data_dir: Path):
    set5 = data_dir / "set5"
    made, read = srzoo.bench(
        ["bicubic-x4"],
        [str(set5 / "HR"), f"paired:{set5 / 'HR'},{set5 / 'LR_bicubic' / 'X{s}'}"],
        metrics=["psnr"],
    )
    assert read.protocol.lr.source == "files"
    assert made.psnr == pytest.approx(read.psnr, abs=1e-12)  # our LR is MATLAB's, bit for bit


@pytest.mark.slow
@pytest.mark.shared_data
def test_set5_lapsrn_x4_authors_weights_match_the_paper(shared_dir: Path, data_dir: Path):
    weights = shared_dir / "weights" / "lapsrn-official" / "LapSRN_x4.mat"
    [result] = srzoo.bench(
        ["lapsrn-x4"],
        [str(data_dir / "set5" / "HR")],
        metrics=["psnr"],
        weights={"lapsrn-x4": weights},
        y="unrounded",
    )
    assert result.psnr == pytest.approx(31.54, abs=0.05)
    [gap] = result.published
    assert (gap.metric, gap.value) == ("psnr", 31.54)
    assert result.weights == "authors (converted)" and result.protocol.weights["source"] == "authors"
    assert result.protocol.weights["sha256"] and result.parameters > 0


@pytest.mark.shared_data
def test_srzoo_weights_are_never_set_against_the_paper(
    shared_dir: Path, data_dir: Path, tmp_path: Path, capsys
):
    """The README's example: the authors' LapSRN ×4 gets the paper's number and its gap; srzoo's
    Facades-trained LapSRN ×8 (shipped, in the same table) gets none. Converted by ``srzoo
    convert``, the authors' weights are still recognised."""
    mat = shared_dir / "weights" / "lapsrn-official" / "LapSRN_x4.mat"
    set5 = str(data_dir / "set5" / "HR")
    argv = ["bench", "--weights", f"lapsrn-x4={mat}", "--data", set5, "--y", "unrounded", "--limit", "1"]
    assert main([*argv, "--metrics", "psnr", "--format", "json"]) == 0
    rows = {r["method"]: r for r in json.loads(capsys.readouterr().out)["results"]}
    assert rows["lapsrn-x4"]["weights"] == "authors (converted)"
    assert rows["lapsrn-x4"]["published"]["psnr"]["value"] == 31.54
    assert rows["lapsrn-x8"]["weights"] == "shipped" and rows["lapsrn-x8"]["published"] == {}
    assert srzoo.get_recipe("lapsrn-x8").published  # a paper value exists: it is withheld
    converted = tmp_path / "lapsrn-x4.safetensors"
    assert main(["convert", "lapsrn-x4", str(mat), "-o", str(converted)]) == 0
    [authors] = srzoo.bench(
        ["lapsrn-x4"], [set5], weights={"lapsrn-x4": converted}, metrics=["psnr"], y="unrounded", limit=1
    )
    assert authors.weights == "authors (converted)" and [g.value for g in authors.published] == [31.54]
    assert authors.protocol.weights["converted_from"] == "LapSRN_x4.mat"


def test_srzoo_bench_is_callable_and_a_package():
    import srzoo.bench as package

    assert callable(srzoo.bench) and callable(package)
    assert package.resolve_data is resolve_data


@pytest.mark.slow
def test_torchrun_sharding_gives_the_numbers_of_one_process(tmp_path: Path):
    import os
    import socket
    import subprocess
    import sys

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    argv = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", "--nproc_per_node", "2"]
    argv += ["--master_addr", "127.0.0.1", "--master_port", str(port), "--module", "srzoo", "bench"]
    argv += ["--methods", "bicubic-x4,bicubic-x2", "--data", "charts:64", "--format", "json"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GLOO_SOCKET_IFNAME": "lo"}
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    sharded = json.loads(done.stdout)["results"]
    alone = srzoo.bench(["bicubic-x4", "bicubic-x2"], ["charts:64"])
    for mine, theirs in zip(sharded, alone, strict=True):
        assert mine["images"] == theirs.images == 5
        assert [p["name"] for p in mine["per_image"]] == [s.name for s in theirs.per_image]
        for metric in ("psnr", "ssim", "gsm"):
            assert mine[metric] == pytest.approx(theirs.scores[metric], abs=1e-12)


def test_bench_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in (
        "--methods",
        "--data",
        "--weights",
        "--label",
        "--pretrained",
        "--y",
        "--degradation",
        "--seed",
    ):
        assert option in out
    for option in ("--allow-untrained", "--no-fast", "--format", "--out", "--device", "--limit"):
        assert option in out


def test_weights_trained_for_another_recipe_get_a_one_line_note(capsys):
    """srcnn-x4's shipped file benched as srcnn-x8 (the architecture fits): scored, with a note."""
    weights = Path(srzoo_recipes.__file__).parent / "weights" / "srcnn-x4.safetensors"
    code = main(
        [
            "bench",
            "--methods",
            "srcnn-x8",
            "--weights",
            f"srcnn-x8={weights}",
            "--limit",
            "1",
            "--format",
            "json",
        ]
    )
    assert code == 0
    assert (
        f"warning: srcnn-x8: the weights in {weights} were trained for srcnn-x4 (their metadata); "
        "the results are srcnn-x8's with them"
    ) in capsys.readouterr().err
