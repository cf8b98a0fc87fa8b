"""``srzoo convert RECIPE SOURCE -o OUT.safetensors``: conversion, checks, atomic output, one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from test_lapsrn import write_dagnn

import srzoo
from srzoo.cli import main
from srzoo.errors import WeightsError
from srzoo.weights import save_weights, sha256_of


def _srzoo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "srzoo", *args], capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def lapsrn_x2_mat(tmp_path_factory) -> tuple[Path, dict[str, torch.Tensor]]:
    """A random full-size ×2 LapSRN written as the authors' DagNN .mat, and its state dict."""
    torch.manual_seed(2)
    source = srzoo.build("lapsrn-x2")
    path = tmp_path_factory.mktemp("mat") / "LapSRN_x2.mat"
    write_dagnn(path, source.stages["sr"])
    return path, source.state_dict()


def test_convert_writes_the_recipes_state_dict(tmp_path, lapsrn_x2_mat, capsys):
    source, expected = lapsrn_x2_mat
    out = tmp_path / "lapsrn-x2.safetensors"
    assert main(["convert", "lapsrn-x2", str(source), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert (
        f"wrote {out}: 27 tensors, 407,441 parameters for recipe lapsrn-x2 from LapSRN_x2.mat"
        in printed.replace("\n", "")
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lapsrn-x2.safetensors"]  # no .partial left behind
    with safe_open(str(out), "pt") as handle:
        assert handle.metadata() == {
            "srzoo_recipe": "lapsrn-x2",
            "source": "LapSRN_x2.mat",
            "source_sha256": sha256_of(source),
            "converted_by": f"srzoo {srzoo.__version__}",
        }
        assert set(handle.keys()) == set(expected)
    model = srzoo.build("lapsrn-x2", weights=out)
    for key, value in expected.items():
        assert torch.equal(model.state_dict()[key], value), key
    direct = srzoo.build("lapsrn-x2", weights=source)
    lr = torch.rand(1, 3, 7, 6)
    with torch.no_grad():
        assert torch.equal(model(lr), direct(lr))


def test_convert_refuses_to_overwrite_without_force(tmp_path, lapsrn_x2_mat, capsys):
    source, _ = lapsrn_x2_mat
    out = tmp_path / "w.safetensors"
    out.write_bytes(b"keep me")
    assert main(["convert", "lapsrn-x2", str(source), "-o", str(out)]) == 2
    assert capsys.readouterr().err.strip() == f"error: -o {out}: exists; pass --force to overwrite it"
    assert out.read_bytes() == b"keep me"
    assert main(["convert", "lapsrn-x2", str(source), "-o", str(out), "--force"]) == 0
    assert out.read_bytes() != b"keep me"


def test_failed_conversion_writes_nothing(tmp_path, lapsrn_x2_mat, capsys):
    source, _ = lapsrn_x2_mat
    out = tmp_path / "x4.safetensors"
    assert main(["convert", "lapsrn-x4", str(source), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert (
        "holds a ×2 LapSRN (1 level(s) of depth 10), the model expects ×4 (2 level(s) of depth 10)"
        in err.replace("\n", "")
    )
    assert list(tmp_path.iterdir()) == []


def test_unknown_recipe_in_a_real_process(tmp_path, lapsrn_x2_mat):
    source, _ = lapsrn_x2_mat
    result = _srzoo("convert", "lapsrn-x5", str(source), "-o", str(tmp_path / "o.safetensors"))
    assert result.returncode == 2
    assert result.stderr.startswith("error: unknown recipe 'lapsrn-x5'; did you mean 'lapsrn-x8'")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["lapsrn-x5", "{mat}", "-o", "{tmp}/o.safetensors"],
            "error: unknown recipe 'lapsrn-x5'; did you mean 'lapsrn-x8'",
        ),
        (
            ["lapsrn-x2", "{tmp}/missing.mat", "-o", "{tmp}/o.safetensors"],
            "error: {tmp}/missing.mat: no such weights file",
        ),
        (
            ["lapsrn-x2", "{mat}", "-o", "{tmp}/o.pt"],
            "error: -o {tmp}/o.pt: the output must be a .safetensors file",
        ),
        (
            ["lapsrn-x2", "{mat}", "-o", "{tmp}/nowhere/o.safetensors"],
            "error: -o {tmp}/nowhere/o.safetensors: the folder {tmp}/nowhere does not exist",
        ),
        (
            ["srcnn-x4", "{mat}", "-o", "{tmp}/o.safetensors"],
            "error: {mat}: unknown weights format '.mat' for recipe 'srcnn-x4'; expected .safetensors",
        ),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(tmp_path, lapsrn_x2_mat, capsys, args, message):
    source, _ = lapsrn_x2_mat
    filled = [a.format(mat=source, tmp=tmp_path) for a in args]
    assert main(["convert", *filled]) == 2
    err = capsys.readouterr().err.replace("\n", "")  # rich may wrap long lines on narrow terminals
    assert err.startswith(message.format(mat=source, tmp=tmp_path))


def test_a_safetensors_file_of_another_architecture_is_rejected(tmp_path, capsys):
    other = tmp_path / "srcnn.safetensors"
    save_weights(srzoo.build("srcnn-x4"), other)
    with pytest.raises(WeightsError) as caught:
        srzoo.build("lapsrn-x2", weights=other)
    assert str(caught.value) == (
        f"{other}: weights do not fit recipe 'lapsrn-x2': 27 missing key(s) [stages.sr.input_conv.weight, "
        "stages.sr.input_conv.bias, stages.sr.levels.0.body.0.weight, ...], 6 unexpected key(s) "
        "[stages.sr.extract.bias, stages.sr.extract.weight, stages.sr.map.bias, ...]"
    )
    assert main(["convert", "lapsrn-x2", str(other), "-o", str(tmp_path / "o.safetensors")]) == 2
    assert "weights do not fit recipe 'lapsrn-x2': 27 missing key(s)" in capsys.readouterr().err.replace(
        "\n", ""
    )
    assert not (tmp_path / "o.safetensors").exists()


def test_convert_help(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["convert", "--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert "RECIPE" in out and "SOURCE_WEIGHTS" in out and "--force" in out


@pytest.mark.shared_data
def test_convert_the_authors_x8_file(shared_dir, tmp_path, capsys):
    source = shared_dir / "weights" / "lapsrn-official" / "LapSRN_x8.mat"
    if not source.is_file():
        pytest.skip(f"needs {source}")
    out = tmp_path / "lapsrn-x8.safetensors"
    assert main(["convert", "lapsrn-x8", str(source), "-o", str(out)]) == 0
    assert "667,123 parameters for recipe lapsrn-x8" in capsys.readouterr().out.replace("\n", "")
    converted = srzoo.build("lapsrn-x8", weights=out)
    direct = srzoo.build("lapsrn-x8", weights=source)
    lr = torch.rand(1, 3, 5, 4)
    with torch.no_grad():
        assert torch.equal(converted(lr), direct(lr))
