"""The core CLI: list, info, plugins, upscale, demo; one-line errors and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from srzoo.cli import main
from srzoo.imageio import read_image


def _srzoo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "srzoo", *args], capture_output=True, text=True, timeout=300)


def test_help_everywhere():
    for command in ([], ["list"], ["info"], ["plugins"], ["upscale"], ["demo"]):
        result = _srzoo(*command, "--help")
        assert result.returncode == 0, result.stderr
        assert "usage: srzoo" in result.stdout


def test_list_and_json(capsys):
    assert main(["list", "recipes"]) == 0
    out = capsys.readouterr().out
    assert "bicubic-x4" in out and "×4" in out
    assert main(["list", "degradation", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert {"name": "torch-bicubic", "plugin": "resize"}.items() <= document["degradation"][
        [d["name"] for d in document["degradation"]].index("torch-bicubic")
    ].items()


def test_list_marks_the_recipes_that_ship_weights(capsys):
    import srzoo

    shipped = {name for name in srzoo.list_models() if srzoo.get_recipe(name).pretrained is not None}
    assert {"srcnn-x4", "lapsrn-x8"} <= shipped and "bicubic-x4" not in shipped
    assert main(["list", "recipe", "--json"]) == 0
    recipes = json.loads(capsys.readouterr().out)["recipe"]
    assert {r["name"] for r in recipes if r["pretrained"]} == shipped
    assert main(["list", "recipe"]) == 0
    rows = {line.split("│")[1].strip(): line.split("│")[3].strip() for line in capsys.readouterr().out.splitlines()
            if line.startswith("│") and line.split("│")[1].strip()}  # fmt: skip
    assert {name for name, weights in rows.items() if weights == "shipped"} == shipped
    assert main(["list", "generator", "--json"]) == 0
    assert "pretrained" not in json.loads(capsys.readouterr().out)["generator"][0]


def test_unknown_kind_and_name_give_one_line_and_exit_2():
    result = _srzoo("list", "modelz")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: unknown kind 'modelz'; registered: dataset, degradation, discriminator, generator, loss, metric, recipe"
    )
    result = _srzoo("info", "bicubic-x44")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(
        "error: unknown recipe or component 'bicubic-x44'; did you mean 'bicubic-x4'"
    )


def test_debug_shows_traceback():
    result = _srzoo("--debug", "info", "bicubic-x44")
    assert result.returncode != 0 and "Traceback" in result.stderr and "UnknownNameError" in result.stderr


def test_info_recipe_and_component(capsys):
    assert main(["info", "bicubic-x4"]) == 0
    out = capsys.readouterr().out
    assert "scale" in out and "×4" in out and "parameters" in out and "GFLOP" in out and "license" in out
    assert main(["info", "torch-bicubic", "--kind", "degradation"]) == 0
    assert "srzoo_plugins.resize.torch_resize:torch_bicubic" in capsys.readouterr().out


def test_plugins_lists_distribution_and_registrations(capsys):
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert "resize" in out and "srzoo 0.1.0" in out and "torch-bicubic" in out


def test_upscale_file_folder_and_chart(tmp_path: Path):
    from srzoo.charts import make_chart
    from srzoo.imageio import write_image

    source = tmp_path / "in"
    write_image(make_chart("edges", 32), source / "a.png")
    write_image(make_chart("text", 24), source / "b.png")
    assert (
        main(
            [
                "upscale",
                str(source),
                "chart:zone-plate",
                "--model",
                "bicubic-x4",
                "--out",
                str(tmp_path / "out"),
            ]
        )
        == 0
    )
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "b.png", "zone-plate.png"]
    assert read_image(tmp_path / "out" / "a.png").shape == (3, 128, 128)
    assert read_image(tmp_path / "out" / "b.png").shape == (3, 96, 96)
    single = tmp_path / "single.png"
    assert (
        main(["upscale", str(source / "a.png"), "-m", "bicubic-x8", "-o", str(single), "--tile", "16"]) == 0
    )
    assert read_image(single).shape == (3, 256, 256)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.png", "-m", "bicubic-x4", "-o", "x"], "error: missing.png: no such file or folder"),
        (["chart:nope", "-m", "bicubic-x4", "-o", "x"], "error: chart:nope: unknown chart"),
        (
            ["chart:text", "chart:edges", "-m", "bicubic-x4", "-o", "x.png"],
            "error: --out x.png: an image file takes exactly one input, got 2",
        ),
        (
            ["chart:text", "-m", "bicubic-x4", "-o", "x", "--set", "sr.sclae=2"],
            "has no argument 'sclae' (did you mean 'scale'?)",
        ),
        (["chart:text", "-m", "bicubic-x4", "-o", "x", "--device", "cuda:7"], "error: --device 'cuda:7'"),
    ],
)
def test_upscale_bad_input(tmp_path: Path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    if "cuda" in " ".join(args):
        import torch

        if torch.cuda.device_count() > 7:
            pytest.skip("this machine has a cuda:7")
    assert main(["upscale", *args]) == 2
    err = capsys.readouterr().err
    assert message in err.replace("\n", "")
    assert not any(tmp_path.iterdir()), "nothing may be written on bad input"


def test_upscale_refuses_to_overwrite_its_input(tmp_path: Path, capsys):
    from srzoo.charts import make_chart
    from srzoo.imageio import write_image

    image = write_image(make_chart("edges", 16), tmp_path / "edges.png")
    before = image.read_bytes()
    assert main(["upscale", str(image), "-m", "bicubic-x4", "-o", str(image)]) == 2
    assert "would overwrite the input" in capsys.readouterr().err
    assert image.read_bytes() == before


def test_demo_writes_panels_and_results(tmp_path: Path):
    out = tmp_path / "demo"
    assert (
        main(
            [
                "demo",
                "--models",
                "bicubic-x4",
                "--charts",
                "zone-plate,facade",
                "--size",
                "64",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    results = json.loads((out / "results.json").read_text())
    assert [(r["model"], r["weights"], r["chart"]) for r in results["results"]] == [
        ("bicubic-x4", "none", "zone-plate"),
        ("bicubic-x4", "none", "facade"),
    ]
    assert all(10.0 < r["psnr"] < 60.0 and 0.0 < r["ssim"] <= 1.0 for r in results["results"])
    panel = read_image(out / "facade.png")
    assert panel.shape[-2] == 64 + 18  # label strip on top
    assert panel.shape[-1] == 3 * (64 + 4)  # HR, LR, SR side by side


def test_demo_shows_the_shipped_models_beside_bicubic(tmp_path: Path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--charts", "text", "--size", "32", "--metrics", "psnr", "--out", str(out)]) == 0
    rows = json.loads((out / "results.json").read_text())["results"]
    assert [(r["model"], r["weights"]) for r in rows] == [
        ("bicubic-x4", "none"),
        ("bicubic-x8", "none"),
        ("lapsrn-x4", "shipped"),
        ("lapsrn-x8", "shipped"),
        ("srcnn-x4", "shipped"),
        ("srcnn-x8", "shipped"),
        ("stagegan-x4-small", "shipped"),
        ("stagegan-x8-small", "shipped"),
    ]
    assert main(["demo", "--models", "srresnet-x4", "--out", str(tmp_path / "d")]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: srresnet-x4: a learned model without weights would show noise and srzoo ships none for it; "
        "pass --weights srresnet-x4=PATH"
    )


def test_demo_bad_chart(tmp_path: Path, capsys):
    assert main(["demo", "--charts", "mandrill", "--out", str(tmp_path / "d")]) == 2
    assert "error: --charts: unknown chart 'mandrill'" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()


def test_plural_kinds_json_descriptions_and_markup_safe_text(tmp_path: Path, capsys):
    assert main(["list", "losses"]) == 0
    assert "losses (" in capsys.readouterr().out
    assert main(["list", "recipes", "--json"]) == 0
    recipes = json.loads(capsys.readouterr().out)["recipe"]
    assert all(r["description"] for r in recipes)
    out = tmp_path / "y[red].png"  # rich markup in a path must be printed as typed
    assert main(["upscale", "chart:text", "-m", "bicubic-x4", "-o", str(out)]) == 0
    assert out.is_file() and "y[red].png" in capsys.readouterr().out.replace("\n", "")


def test_weights_folder_and_unwritable_out_give_one_line(tmp_path: Path, capsys):
    assert (
        main(
            [
                "upscale",
                "chart:text",
                "-m",
                "bicubic-x4",
                "-o",
                str(tmp_path / "a.png"),
                "--weights",
                str(tmp_path),
            ]
        )
        == 2
    )
    assert "is a folder; give the weights file itself" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    assert main(["upscale", "chart:text", "-m", "bicubic-x4", "-o", str(tmp_path / "file" / "x.png")]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err.replace("\n", "")
    folder = tmp_path / "dir.png"
    folder.mkdir()
    assert main(["upscale", "chart:text", "-m", "bicubic-x4", "-o", str(folder)]) == 0
    assert (folder / "text.png").is_file()  # an existing folder is a folder, whatever its name


@pytest.mark.parametrize("command", [["demo"], ["bench", "--methods", "bicubic-x4"]])
@pytest.mark.parametrize("name", ["y.gif", "y.png"])
def test_output_folder_with_an_image_suffix_is_refused(command, name, tmp_path: Path, capsys):
    out = tmp_path / name
    assert main([*command, "--out", str(out)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: --out {out}: names an image file, but this command writes a folder; "
        f"give a folder name such as {tmp_path / 'y'}"
    )
    assert not out.exists()


def test_device_names_are_read_once_for_the_cli_and_the_trainer(tmp_path: Path, capsys):
    from srzoo.errors import InputError
    from srzoo.runtime.devices import pick_device

    assert main(["upscale", "chart:text", "-m", "bicubic-x4", "--device", "tpu", "-o", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == "error: --device 'tpu': expected auto, cpu, cuda or cuda:N"
    with pytest.raises(InputError) as info:
        pick_device("tpu")
    assert str(info.value) == "device 'tpu': expected auto, cpu, cuda or cuda:N"
    assert pick_device("cpu").type == "cpu"
