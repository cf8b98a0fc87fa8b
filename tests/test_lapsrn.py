"""LapSRN: layout, MatConvNet operators, the .mat converter, and the authors' numbers on Set5."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from srzoo_plugins.baselines.lapsrn import FeatureUpsample, LapSRN, bilinear_kernel, released_depth
from srzoo_plugins.baselines.lapsrn_matconvnet import lapsrn_state_dict, read_dagnn
from srzoo_plugins.baselines.ycbcr import rgb_to_ycbcr

import srzoo
from srzoo.errors import InputError, WeightsError

SET5 = ["baby", "bird", "butterfly", "head", "woman"]


def _count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# --------------------------------------------------------------------------- layout


def test_parameter_counts_of_the_released_models():
    # input conv 1·64·9+64 = 640; per level: depth·(64·64·9+64) + upconv 36,928 + residual 64·9+1
    # + image upsampling 4·4 = depth·36,928 + 37,521
    assert [released_depth(s) for s in (2, 4, 8)] == [10, 10, 5]
    assert _count(LapSRN(scale=2, chroma="torch-bicubic")) == 640 + 406_801 == 407_441
    assert _count(LapSRN(scale=4, chroma="torch-bicubic")) == 640 + 2 * 406_801 == 814_242
    assert _count(LapSRN(scale=8, chroma="torch-bicubic")) == 640 + 3 * 222_161 == 667_123


def _matconvnet_convt(
    x: np.ndarray, f: np.ndarray, upsample: int, crop: tuple[int, int, int, int]
) -> np.ndarray:
    """vl_nnconvt for one input and one output channel, written from its definition."""
    h, w = x.shape
    kh, kw = f.shape
    out = np.zeros((upsample * (h - 1) + kh, upsample * (w - 1) + kw))
    for i in range(h):
        for j in range(w):
            out[i * upsample : i * upsample + kh, j * upsample : j * upsample + kw] += x[i, j] * f
    top, bottom, left, right = crop
    return out[top : out.shape[0] - bottom, left : out.shape[1] - right]


def test_transposed_convs_match_matconvnet_crops():
    torch.manual_seed(0)
    x = torch.rand(1, 1, 5, 4, dtype=torch.float64)
    up = FeatureUpsample(1, 1).double()
    with torch.no_grad():
        up.bias.zero_()
    f = up.weight[0, 0].detach().numpy()
    reference = _matconvnet_convt(x[0, 0].numpy(), f, 2, (0, 1, 0, 1))
    assert up(x).shape == (1, 1, 10, 8)
    np.testing.assert_allclose(up(x)[0, 0].detach().numpy(), reference, atol=1e-12)
    level = LapSRN(scale=2, depth=1, channels="rgb").levels[0].double()
    f = level.image_up.weight[1, 0].detach().numpy()
    reference = _matconvnet_convt(x[0, 0].numpy(), f, 2, (1, 1, 1, 1))
    image = torch.cat([torch.zeros_like(x), x, torch.zeros_like(x)], dim=1)
    np.testing.assert_allclose(level.image_up(image)[0, 1].detach().numpy(), reference, atol=1e-12)


def test_bilinear_image_branch_at_initialisation():
    assert torch.allclose(bilinear_kernel(4)[0], torch.tensor([0.0625, 0.1875, 0.1875, 0.0625]))
    model = LapSRN(scale=4, depth=1, channels="rgb")
    assert torch.equal(model.levels[1].image_up.weight[2, 0], bilinear_kernel(4))
    constant = torch.full((1, 3, 6, 6), 0.5)
    with torch.no_grad():
        interior = model.levels[0].image_up(constant)[..., 1:-1, 1:-1]
    assert torch.allclose(interior, torch.full_like(interior, 0.5))


@pytest.mark.parametrize("scale", [2, 4, 8])
def test_pyramid_and_odd_sizes(scale):
    model = LapSRN(scale=scale, depth=1, features=8, chroma="torch-bicubic").eval()
    lr = torch.rand(2, 3, 5, 3)
    with torch.no_grad():
        pyramid = model.forward_pyramid(torch.rand(2, 1, 5, 3))
        assert model(lr).shape == (2, 3, 5 * scale, 3 * scale)
    assert [p.shape[-2:] for p in pyramid] == [(5 * 2**k, 3 * 2**k) for k in range(1, len(pyramid) + 1)]


def test_y_model_takes_chroma_from_the_bicubic_degradation():
    torch.manual_seed(0)
    model = LapSRN(scale=4, depth=1, features=8).eval()  # chroma = MATLAB bicubic
    lr = torch.rand(1, 3, 6, 5, dtype=torch.float64)
    model.double()
    with torch.no_grad():
        out = model(lr)
        y = model.forward_pyramid(rgb_to_ycbcr(lr)[:, :1])[-1]
    up = srzoo.create("degradation", "bicubic", scale=4, direction="up")
    assert torch.allclose(rgb_to_ycbcr(out)[:, 1:], up(rgb_to_ycbcr(lr)[:, 1:]), atol=1e-10)
    assert torch.allclose(rgb_to_ycbcr(out)[:, :1], y, atol=1e-10)
    assert model.state_dict().keys() == LapSRN(scale=4, depth=1, features=8, channels="y").state_dict().keys()
    assert not any("chroma" in key for key in model.state_dict())


def test_lapsrn_errors():
    with pytest.raises(InputError, match=r"powers of two; scale must be 2, 4 or 8, got 3"):
        LapSRN(scale=3)
    with pytest.raises(InputError, match=r"depth must be a positive integer, got 0"):
        LapSRN(depth=0)
    with pytest.raises(InputError, match=r"channels must be 'y' or 'rgb', got 'yuv'"):
        LapSRN(channels="yuv")
    with pytest.raises(srzoo.UnknownNameError, match=r"unknown degradation 'bicubik'"):
        LapSRN(chroma="bicubik")
    with pytest.raises(InputError, match=r"lr must have shape \(N, 3, H, W\) \(RGB\), got \(1, 1, 4, 4\)"):
        LapSRN(scale=2, depth=1, chroma="torch-bicubic")(torch.rand(1, 1, 4, 4))


# --------------------------------------------------------------------------- the converter, on synthetic files


def _struct_array(rows: list[dict[str, object]], fields: list[str]) -> np.ndarray:
    array = np.empty((1, len(rows)), dtype=[(f, "O") for f in fields])
    for index, row in enumerate(rows):
        for f in fields:
            array[0, index][f] = row.get(f, np.zeros((0, 0)))
    return array


def write_dagnn(
    path: Path,
    model: LapSRN,
    *,
    leak: float = 0.2,
    upconv_crop: tuple[int, ...] = (0, 1, 0, 1),
    drop: str = "",
) -> None:
    """Write ``model`` as the authors' MatConvNet DagNN .mat (their names, layouts and layer list)."""
    from scipy.io import savemat

    def matlab(weight: torch.Tensor) -> np.ndarray:  # torch (a, b, kh, kw) -> MATLAB (kh, kw, b, a)
        return weight.detach().permute(2, 3, 1, 0).numpy().astype(np.float32)

    def bias(value: torch.Tensor) -> np.ndarray:
        return value.detach().numpy().astype(np.float32).reshape(1, -1)

    params = {"input_conv_f": matlab(model.input_conv.weight), "input_conv_b": bias(model.input_conv.bias)}
    layers = [{"name": "input_conv", "type": "dagnn.Conv", "block": {"pad": np.ones((1, 4))}}]
    n = len(model.levels)
    for index, level in enumerate(model.levels):
        k = n - index
        for j in range(model.depth):
            params[f"level{k}_conv{j + 1}_f"] = matlab(level.body[2 * j].weight)
            params[f"level{k}_conv{j + 1}_b"] = bias(level.body[2 * j].bias)
            layers.append(
                {"name": f"level{k}_relu{j + 1}", "type": "dagnn.ReLU", "block": {"leak": np.array([[leak]])}}
            )
        params[f"level{k}_upconv_f"] = matlab(level.upsample.weight)
        params[f"level{k}_upconv_b"] = bias(level.upsample.bias)
        params[f"level{k}_residual_conv_f"] = matlab(level.residual.weight)
        params[f"level{k}_residual_conv_b"] = bias(level.residual.bias)
        params[f"level{k}_img_up_f"] = matlab(level.image_up.weight)
        layers.append(
            {
                "name": f"level{k}_upconv",
                "type": "dagnn.ConvTranspose",
                "block": {"crop": np.array([upconv_crop])},
            }
        )
        layers.append(
            {
                "name": f"level{k}_img_up",
                "type": "dagnn.ConvTranspose",
                "block": {"crop": np.array([[1, 1, 1, 1]])},
            }
        )
    rows = [{"name": name, "value": value} for name, value in params.items() if name != drop]
    net = {
        "params": _struct_array(rows, ["name", "value", "learningRate", "weightDecay"]),
        "layers": _struct_array(layers, ["name", "type", "block"]),
        "vars": np.zeros((0, 0)),
    }
    savemat(str(path), {"net": net})


@pytest.fixture
def small_model() -> LapSRN:
    torch.manual_seed(0)
    return LapSRN(scale=4, depth=2, features=8, chroma="torch-bicubic")


def test_converter_round_trip(tmp_path, small_model):
    path = tmp_path / "small.mat"
    write_dagnn(path, small_model)
    dag = read_dagnn(path)
    assert (dag.levels, dag.depth) == (2, 2)
    state = lapsrn_state_dict(dag, LapSRN(scale=4, depth=2, features=8, chroma="torch-bicubic"), path)
    reference = small_model.state_dict()
    assert state.keys() == reference.keys()
    for key, value in reference.items():
        assert torch.equal(state[key], value), key


def test_converter_errors(tmp_path, small_model):
    other = LapSRN(scale=2, depth=2, features=8, chroma="torch-bicubic")
    write_dagnn(tmp_path / "x4.mat", small_model)
    with pytest.raises(
        WeightsError,
        match=r"x4\.mat: holds a ×4 LapSRN \(2 level\(s\) of depth 2\), the model expects ×2 \(1 level\(s\) of depth 2\); use LapSRN_x2\.mat or the recipe lapsrn-x4",
    ):
        lapsrn_state_dict(read_dagnn(tmp_path / "x4.mat"), other, tmp_path / "x4.mat")
    deeper = LapSRN(scale=4, depth=3, features=8, chroma="torch-bicubic")
    with pytest.raises(WeightsError, match=r"the model expects ×4 \(2 level\(s\) of depth 3\)"):
        lapsrn_state_dict(read_dagnn(tmp_path / "x4.mat"), deeper)
    wider = LapSRN(scale=4, depth=2, features=16, chroma="torch-bicubic")
    with pytest.raises(
        WeightsError, match=r"parameter 'input_conv_f' has shape 3x3x1x8; the model expects 3x3x1x16"
    ):
        lapsrn_state_dict(read_dagnn(tmp_path / "x4.mat"), wider)
    rgb = LapSRN(scale=4, depth=2, features=8, channels="rgb")
    with pytest.raises(WeightsError, match=r"work on the Y channel; build the model with channels='y'"):
        lapsrn_state_dict(read_dagnn(tmp_path / "x4.mat"), rgb)

    write_dagnn(tmp_path / "partial.mat", small_model, drop="level1_upconv_b")
    with pytest.raises(
        WeightsError, match=r"not a complete LapSRN model: missing parameter\(s\) level1_upconv_b"
    ):
        lapsrn_state_dict(read_dagnn(tmp_path / "partial.mat"), small_model)
    write_dagnn(tmp_path / "relu.mat", small_model, leak=0.0)
    with pytest.raises(WeightsError, match=r"layer 'level2_relu1' has leak 0\.0; LapSRN uses LeakyReLU 0\.2"):
        lapsrn_state_dict(read_dagnn(tmp_path / "relu.mat"), small_model)
    write_dagnn(tmp_path / "crop.mat", small_model, upconv_crop=(1, 1, 1, 1))
    with pytest.raises(
        WeightsError,
        match=r"layer 'level2_upconv' crops \[1, 1, 1, 1\]; LapSRN's layout expects \[0, 1, 0, 1\]",
    ):
        lapsrn_state_dict(read_dagnn(tmp_path / "crop.mat"), small_model)


def test_reader_rejects_files_that_are_not_lapsrn_models(tmp_path):
    from scipy.io import savemat

    savemat(str(tmp_path / "other.mat"), {"weights": np.ones((3, 3))})
    with pytest.raises(
        WeightsError, match=r"other\.mat: not a LapSRN model: expected a MatConvNet DagNN struct 'net'"
    ):
        read_dagnn(tmp_path / "other.mat")
    (tmp_path / "junk.mat").write_bytes(b"not a mat file at all" * 10)
    with pytest.raises(WeightsError, match=r"junk\.mat: not a readable MATLAB \.mat file"):
        read_dagnn(tmp_path / "junk.mat")
    # a MATLAB v7.3 file is HDF5: its 128-byte header says version 0x0200
    header = (
        b"MATLAB 7.3 MAT-file, Platform: GLNXA64, HDF5 schema 1.00 .".ljust(116, b" ")
        + bytes(8)
        + b"\x00\x02IM"
    )
    (tmp_path / "v73.mat").write_bytes(header + bytes(512))
    with pytest.raises(
        WeightsError, match=r"v73\.mat: a MATLAB v7\.3 \(HDF5\) file; .* saved with -v7 or older"
    ):
        read_dagnn(tmp_path / "v73.mat")
    savemat(
        str(tmp_path / "empty_net.mat"),
        {"net": {"params": _struct_array([], ["name", "value"]), "layers": np.zeros((0, 0))}},
    )
    model = LapSRN(scale=2, depth=1, features=8, chroma="torch-bicubic")
    with pytest.raises(WeightsError, match=r"empty_net\.mat: not a LapSRN model"):
        lapsrn_state_dict(read_dagnn(tmp_path / "empty_net.mat"), model, tmp_path / "empty_net.mat")


def test_build_reads_a_mat_file_through_the_registered_converter(tmp_path):
    torch.manual_seed(1)
    source = srzoo.build("lapsrn-x2").stages["sr"]
    write_dagnn(tmp_path / "LapSRN_x2.mat", source)
    model = srzoo.build("lapsrn-x2", weights=tmp_path / "LapSRN_x2.mat")
    for key, value in source.state_dict().items():
        assert torch.equal(model.stages["sr"].state_dict()[key], value)
    with pytest.raises(WeightsError, match=r"holds a ×2 LapSRN .* the model expects ×8"):
        srzoo.build("lapsrn-x8", weights=tmp_path / "LapSRN_x2.mat")
    with pytest.raises(WeightsError, match=r"unknown weights format '\.mat' for recipe 'srcnn-x4'"):
        srzoo.build("srcnn-x4", weights=tmp_path / "LapSRN_x2.mat")


# --------------------------------------------------------------------------- the authors' files


def _official(shared_dir: Path, scale: int) -> Path:
    path = shared_dir / "weights" / "lapsrn-official" / f"LapSRN_x{scale}.mat"
    if not path.is_file():
        pytest.skip(f"needs {path}")
    return path


@pytest.mark.shared_data
@pytest.mark.parametrize("scale", [2, 4, 8])
def test_official_files_convert(shared_dir, scale):
    path = _official(shared_dir, scale)
    dag = read_dagnn(path)
    assert (dag.levels, dag.depth) == ({2: 1, 4: 2, 8: 3}[scale], released_depth(scale))
    model = srzoo.build(f"lapsrn-x{scale}", weights=path)
    state = model.state_dict()
    # MatConvNet H x W x in x out → PyTorch out x in x H x W, and the authors' level L runs first
    f = dag.params["input_conv_f"]
    assert torch.equal(state["stages.sr.input_conv.weight"][5, 0], torch.from_numpy(f[:, :, 0, 5]))
    first = f"level{dag.levels}"
    g = dag.params[f"{first}_conv3_f"]
    assert torch.equal(state["stages.sr.levels.0.body.4.weight"][7, 2], torch.from_numpy(g[:, :, 2, 7]))
    assert torch.equal(
        state["stages.sr.levels.0.image_up.weight"][0, 0], torch.from_numpy(dag.params[f"{first}_img_up_f"])
    )


def _set5(data_dir: Path, scale: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    from srzoo.imageio import read_image

    pairs = []
    for name in SET5:
        hr = read_image(data_dir / "set5" / "HR" / f"{name}.png")
        h, w = hr.shape[-2:]
        lr = read_image(data_dir / "set5" / "LR_bicubic" / f"X{scale}" / f"{name}x{scale}.png")
        pairs.append((lr[None], hr[None, :, : h - h % scale, : w - w % scale]))
    return pairs


# Set5 PSNR (dB) through srzoo's RGB edge (model Y + MATLAB-bicubic chroma, 8-bit output), measured
# here: unrounded Y (the paper's 37.52 / 31.54 / 26.15 are scored on the model's Y, unrounded), and
# rounded Y (the default protocol). DESIGN §6's independent implementation: 37.492, 31.526, 26.141
# unrounded and 37.417, 31.507, 26.133 rounded; at ×2 it sits 0.01 dB above us, which is what
# skipping the 8-bit rounding of the SR image gives (37.495 here).
MEASURED = {2: (37.4818, 37.4049), 4: (31.5265, 31.5078), 8: (26.1408, 26.1334)}
PAPER = {2: 37.52, 4: 31.54, 8: 26.15}
PAPER_TOLERANCE = {2: 0.1, 4: 0.05, 8: 0.05}


@pytest.mark.shared_data
@pytest.mark.parametrize("scale", [2, 4, 8])
def test_official_weights_reproduce_the_papers_set5_psnr(shared_dir, data_dir, scale):
    torch.set_num_threads(max(torch.get_num_threads(), 2))
    model = srzoo.build(f"lapsrn-x{scale}", weights=_official(shared_dir, scale))
    unrounded = srzoo.create("metric", "psnr", scale=scale, round_y=False)
    rounded = srzoo.create("metric", "psnr", scale=scale)
    scores = []
    with torch.no_grad():
        for lr, hr in _set5(data_dir, scale):
            sr = model(lr)
            assert sr.shape == hr.shape
            scores.append((unrounded(sr, hr).item(), rounded(sr, hr).item()))
    mean_unrounded, mean_rounded = np.mean(scores, axis=0)
    assert abs(mean_unrounded - PAPER[scale]) <= PAPER_TOLERANCE[scale]
    assert mean_unrounded == pytest.approx(MEASURED[scale][0], abs=2e-3)
    assert mean_rounded == pytest.approx(MEASURED[scale][1], abs=2e-3)


@pytest.mark.gpu
@pytest.mark.shared_data
def test_official_x4_on_cuda_float32_and_half(shared_dir, data_dir, monkeypatch):
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)
    model = srzoo.build("lapsrn-x4", weights=_official(shared_dir, 4)).cuda()
    metric = srzoo.create("metric", "psnr", scale=4, round_y=False)
    full, half = [], []
    with torch.no_grad():
        for lr, hr in _set5(data_dir, 4):
            full.append(metric(model(lr.cuda()).cpu(), hr).item())
        model.half()
        for lr, hr in _set5(data_dir, 4):
            half.append(metric(model(lr.cuda().half()).float().cpu(), hr).item())
    assert np.mean(full) == pytest.approx(MEASURED[4][0], abs=2e-3)
    assert abs(np.mean(half) - np.mean(full)) < 0.05
