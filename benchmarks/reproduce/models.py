"""The methods of the paper's comparison: which recipes train, with which departures from their papers."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import srzoo

SMOKE_STEPS = 3
SMOKE_TEST_IMAGES = 2
SMOKE_BATCH = 2
SMOKE_STAGEGAN = {
    "sem.ngf": 8,
    "s2.ngf": 8,
    "sr.ngf": 8,
    "sr.n_blocks": 2,
    "sem.num_downs": 5,
    "s2.num_downs": 5,
    "input_multiple": 8,
    "d0.ndf": 8,
    "d1.ndf": 8,
    "d2.ndf": 8,
}


@dataclasses.dataclass(frozen=True)
class Model:
    """One trained method: the recipe, its overrides and the options that make its run.

    Attributes:
        label: the name in the table (the recipe's name, with the variant).
        recipe: the registered recipe.
        overrides: recipe overrides (widths for ``--smoke``, the SRGAN-MSE content loss, VGG19 path).
        note: what the table says about a departure from the paper.
        stage1: also bench the Stage-1 output (node ``s2``).
        patch_size: HR crop side (``None``: the recipe's).
        batch_size: images per step (``None``: the recipe's, i.e. its paper's).
        init_from: the label of an earlier model whose weights this one starts from (SRGAN from SRResNet).
    """

    label: str
    recipe: str
    overrides: dict[str, Any] = dataclasses.field(default_factory=dict)
    note: str = ""
    stage1: bool = False
    patch_size: int | None = None
    batch_size: int | None = None
    init_from: str | None = None


SRCNN_TRAINING = {
    "sr.init": "he",
    "train.optimizer.name": "adam",
    "train.optimizer.lr": 1e-3,
    "train.optimizer.lr_multipliers": {},
    "train.schedule.name": "step",
    "train.schedule.step_epochs": 150,
    "train.schedule.gamma": 0.1,
}
"""SRCNN's departures, those of the shipped ``srcnn-x4``/``-x8``: He initialisation of the ReLU
layers, Adam at 1e-3 on every layer, divided by 10 after 150 of the 200 epochs (paper: N(0, 0.001²)
weights, SGD at 1e-4 with the last layer at 1e-5). With the paper's initialisation and the last
layer's ×0.1, 1,000 steps at batch 16 gained +0.10 dB on 8 Facades ×4 test images; with these,
+0.76 dB."""

LAPSRN_TRAINING = {"train.optimizer.name": "adam", "train.optimizer.lr": 1e-4}
"""LapSRN's departure: Adam at 1e-4 (paper: SGD at 1e-5), halved every 50 epochs as in the paper."""

LAPSRN_BATCH = 4
"""LapSRN's batch (paper: 64 patches of 128², 13.5 s a step on a 2-core CPU; the patch size is kept)."""

SRCNN_BATCH = 16
"""SRCNN's batch (paper: 128 sub-images of 33²): 25 steps an epoch instead of 3 (at 128 its 600
steps of the 200 epochs left it 0.02 dB below bicubic on Facades ×4, 30 test images, measured)."""

SRCNN_PATCH = 96
"""SRCNN's HR patch side: fewer of its pixels see the zero padding than in 32² patches."""


WIDTHS = ("full", "small")
"""``full``: the paper's Stage-GAN widths; ``small``: srzoo's reduced-width ``-small`` recipes (width 16)."""

REDUCED_WIDTH = "reduced width (srzoo's -small variants, not the paper's models)"
"""The label on every output of ``--width small``."""


def stagegan_label(scale: int, width: str = "full", sem: bool = True) -> str:
    """The recipe (and table label) of Stage-GAN at ``scale``: ``stagegan-x8``, ``stagegan-x8-small-nosem``, ..."""
    return f"stagegan-x{scale}" + ("-small" if width == "small" else "") + ("" if sem else "-nosem")


def models(
    smoke: bool, vgg19: Path | None, width: str = "full", stagegan_batch: int | None = None
) -> list[Model]:
    """The methods of the paper's comparison, in training order: the cheap baselines first.

    ``width="small"`` swaps Stage-GAN for srzoo's ``-small`` recipes; the baselines are the same.
    ``stagegan_batch`` replaces Stage-GAN's batch of 1 (the row's note says so).
    """
    sg = SMOKE_STAGEGAN if smoke else {}
    nosem = {k: v for k, v in sg.items() if not k.startswith(("sem.", "d0."))}
    patch = 64 if smoke else None
    tiny_srcnn = {"sr.filters": [8, 4]} if smoke else {}
    tiny_lapsrn = {"sr.depth": 2, "sr.features": 8} if smoke else {}
    tiny_srresnet = {"sr.num_blocks": 2, "sr.features": 8} if smoke else {}
    tiny_srgan = {**tiny_srresnet, "train.critics.d.args.features": 8} if smoke else {}
    srgan_label, srgan_note, srgan_losses = _srgan_losses(vgg19)
    out: list[Model] = []
    for scale in (4, 8):
        out.append(
            Model(
                f"srcnn-x{scale}",
                f"srcnn-x{scale}",
                {**tiny_srcnn, **SRCNN_TRAINING},
                f"He init, Adam 1e-3, ÷10 after 150 epochs, batch {SRCNN_BATCH} of {SRCNN_PATCH}² "
                "(paper: N(0, 0.001²), SGD 1e-4, batch 128 of 33²)",
                patch_size=patch or SRCNN_PATCH,
                batch_size=SRCNN_BATCH,
            )
        )
    for scale in (4, 8):
        out.append(
            Model(
                f"lapsrn-x{scale}",
                f"lapsrn-x{scale}",
                {**tiny_lapsrn, **LAPSRN_TRAINING},
                f"Adam 1e-4 (paper: SGD 1e-5), batch {LAPSRN_BATCH} (paper: 64)",
                patch_size=patch,
                batch_size=LAPSRN_BATCH,
            )
        )
    out.append(Model("srresnet-x4", "srresnet-x4", dict(tiny_srresnet), "MSE; SRGAN starts from it"))
    srgan_overrides = {**tiny_srgan, "train.losses": srgan_losses}
    out.append(Model(srgan_label, "srgan-x4", srgan_overrides, srgan_note, init_from="srresnet-x4"))
    for scale in (4, 8):
        name, nosem_name = stagegan_label(scale, width), stagegan_label(scale, width, sem=False)
        batch = f"batch {stagegan_batch} (paper: 1)" if stagegan_batch not in (None, 1) and not smoke else ""
        out.append(
            Model(name, name, dict(sg), batch, stage1=True, patch_size=patch, batch_size=stagegan_batch)
        )
        out.append(
            Model(
                nosem_name,
                nosem_name,
                dict(nosem),
                "; ".join(filter(None, ["ablation: no semantic maps (Fig. 6/7)", batch])),
                stage1=True,
                patch_size=patch,
                batch_size=stagegan_batch,
            )
        )
    if smoke:
        out = [dataclasses.replace(m, batch_size=SMOKE_BATCH) for m in out]
    return out


def _srgan_losses(vgg19: Path | None) -> tuple[str, str, list[dict[str, Any]]]:
    """SRGAN's loss terms: VGG54 with local VGG19 weights, else the SRGAN paper's SRGAN-MSE."""
    losses = srzoo.get_recipe("srgan-x4").to_dict()["train"]["losses"]
    terms = []
    for term in losses:
        term = dict(term)
        if term.get("loss") == "perceptual":
            if vgg19 is not None:
                term["args"] = {**term.get("args", {}), "weights": str(vgg19)}
            else:
                term = {"loss": "mse", "node": term["node"], "target": term["target"], "weight": 1.0}
        terms.append(term)
    if vgg19 is not None:
        return "srgan-x4", f"VGG54 perceptual loss ({vgg19.name}); from srresnet-x4", terms
    note = "SRGAN-MSE: MSE content loss + 1e-3 adversarial (no VGG19 weights given); from srresnet-x4"
    return "srgan-x4-mse", note, terms
