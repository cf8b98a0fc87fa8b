"""benchmarks/resize_from_deconv.py: deconv Stage-GAN weights projected onto resize-convolutions."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from torch import nn

import srzoo
from srzoo.weights import save_weights

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
RESIZE = {"upsample": "resize"}
DECONV = {"upsample": "deconv"}

# Along one axis, nearest x2 then a 3-tap cross-correlation k is the stride-2, padding-1 transposed
# convolution with taps (k2, k1 + k2, k0 + k1, k0), worked out by hand from both definitions.
BOX_MAP = torch.tensor([[0, 0, 1], [0, 1, 1], [1, 1, 0], [1, 0, 0]], dtype=torch.float64)


@pytest.fixture
def resize_from_deconv(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import resize_from_deconv

    yield resize_from_deconv
    sys.modules.pop("resize_from_deconv", None)


def transposed_equivalent(kernel: torch.Tensor, size: int = 4) -> torch.Tensor:
    """The ``(in, out, size, size)`` transposed kernel equal to resize with ``kernel`` ``(out, in, 3, 3)``.

    ``size`` 3 (the refiner's kernel) drops the fourth tap, which is ``k0``: exact when ``k0`` is 0.
    """
    full = torch.einsum("ac,bd,oicd->ioab", BOX_MAP.to(kernel.dtype), BOX_MAP.to(kernel.dtype), kernel)
    return full[..., :size, :size].contiguous()


def test_the_hand_made_equivalence_holds():
    kernel = torch.randn(5, 3, 3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    deconv = nn.ConvTranspose2d(3, 5, 4, stride=2, padding=1, bias=False).double()
    deconv.weight.data = transposed_equivalent(kernel)
    resize = nn.Sequential(nn.Upsample(scale_factor=2), nn.Conv2d(3, 5, 3, padding=1, bias=False)).double()
    resize[1].weight.data = kernel
    x = torch.randn(2, 3, 7, 9, dtype=torch.float64)
    torch.testing.assert_close(deconv(x), resize(x), rtol=0, atol=1e-12)


def test_a_kernel_in_the_resize_subspace_projects_back_exactly(resize_from_deconv):
    kernel = torch.randn(5, 3, 3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    deconv = nn.ConvTranspose2d(3, 5, 4, stride=2, padding=1).double()
    deconv.weight.data = transposed_equivalent(kernel)
    projected, removed = resize_from_deconv.project_transposed(deconv)
    assert projected.shape == (5, 3, 3, 3)
    torch.testing.assert_close(projected, kernel, rtol=0, atol=1e-12)
    assert removed < 1e-20


def test_a_checkerboard_kernel_is_removed_whole(resize_from_deconv):
    # taps (1, -1, 1, -1): every input pixel paints +1/-1 alternately, a pure period-2 pattern
    # orthogonal to every box-smeared footprint (each 2-tap box sums one +1 and one -1)
    taps = torch.tensor([1.0, -1.0, 1.0, -1.0], dtype=torch.float64)
    deconv = nn.ConvTranspose2d(1, 1, 4, stride=2, padding=1, bias=False).double()
    deconv.weight.data = torch.outer(taps, torch.ones(4, dtype=torch.float64))[None, None]
    projected, removed = resize_from_deconv.project_transposed(deconv)
    assert removed == pytest.approx(1.0)
    torch.testing.assert_close(projected, torch.zeros(1, 1, 3, 3, dtype=torch.float64), rtol=0, atol=1e-12)


def test_a_random_kernel_loses_part_of_its_energy(resize_from_deconv):
    torch.manual_seed(3)
    deconv = nn.ConvTranspose2d(4, 4, 4, stride=2, padding=1)
    _, removed = resize_from_deconv.project_transposed(deconv)
    assert 0.2 < removed < 0.7  # a random 16-tap kernel keeps about 9/16 of itself


def test_the_script_converts_a_whole_stagegan_without_changing_its_output(resize_from_deconv, tmp_path):
    torch.manual_seed(4)
    deconv_model = srzoo.build("stagegan-x4-small", sem=DECONV, s2=DECONV, sr=DECONV)
    with torch.no_grad():
        for module in deconv_model.modules():
            if isinstance(module, nn.ConvTranspose2d):
                size = module.kernel_size[0]
                kernel = torch.randn(module.out_channels, module.in_channels, 3, 3) * 0.1
                if size == 3:
                    kernel[:, :, 0, :] = kernel[:, :, :, 0] = 0  # k0 = 0: the 4th tap vanishes
                module.weight.copy_(transposed_equivalent(kernel, size))
            elif isinstance(module, nn.BatchNorm2d):  # non-trivial running statistics to carry over
                module.running_mean.uniform_(-0.1, 0.1)
                module.running_var.uniform_(0.5, 2)
    weights = save_weights(deconv_model, tmp_path / "deconv.safetensors")
    out = tmp_path / "resize.safetensors"
    assert resize_from_deconv.main(["stagegan-x4-small", "--weights", str(weights), "-o", str(out)]) == 0
    resize_model = srzoo.build("stagegan-x4-small", weights=out, sem=RESIZE, s2=RESIZE, sr=RESIZE)
    assert not any(isinstance(m, nn.ConvTranspose2d) for m in resize_model.modules())
    lr = torch.rand(1, 3, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(resize_model(lr), deconv_model(lr), rtol=0, atol=1e-5)


def test_models_that_do_not_match_are_refused(resize_from_deconv):
    with pytest.raises(ValueError, match="the models do not match"):
        resize_from_deconv.convert(nn.Sequential(nn.Conv2d(1, 1, 3)), nn.Sequential())


def test_the_nodes_come_from_the_factories_signatures(resize_from_deconv):
    assert resize_from_deconv.upsampling_nodes("stagegan-x8-small") == ["sem", "s2", "sr"]
    assert resize_from_deconv.upsampling_nodes("lapsrn-x4") == []


def test_a_recipe_without_upsampling_nodes_is_one_line(resize_from_deconv, tmp_path):
    with pytest.raises(SystemExit, match="error: recipe 'lapsrn-x4' has no node with an 'upsample' argument"):
        resize_from_deconv.main(
            ["lapsrn-x4", "--weights", str(tmp_path / "w.safetensors"), "-o", str(tmp_path / "o")]
        )


def test_bad_weights_and_unknown_recipes_are_one_line(resize_from_deconv, tmp_path):
    out = tmp_path / "o.safetensors"
    with pytest.raises(SystemExit, match=r"^error: .*missing\.safetensors"):
        resize_from_deconv.main(
            ["stagegan-x4-small", "--weights", str(tmp_path / "missing.safetensors"), "-o", str(out)]
        )
    resize = save_weights(srzoo.build("stagegan-x4-small"), tmp_path / "resize.safetensors")
    with pytest.raises(SystemExit, match="^error: .*do not fit recipe 'stagegan-x4-small'"):
        resize_from_deconv.main(["stagegan-x4-small", "--weights", str(resize), "-o", str(out)])
    with pytest.raises(SystemExit, match="^error: .*stagegan-x5"):
        resize_from_deconv.main(["stagegan-x5", "--weights", str(resize), "-o", str(out)])
    assert not out.exists()
