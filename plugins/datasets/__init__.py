"""Built-in plugin ``datasets``: SR datasets as ``torch.utils.data.Dataset``\\ s of dicts of tensors.

Registers ``facades`` (CMP Facades in the pix2pix layout, with semantic label maps), ``folder`` (any
folder of HR images, LR made by a degradation) and ``paired-folder`` (HR and LR folders matched by
name, e.g. Set5's ``baby.png`` ↔ ``babyx4.png``). The factories are lazy references, so importing
this module imports no torch code. See `srzoo_plugins.datasets.degrade` for degrading whole
batches on the GPU in training loops.
"""

from __future__ import annotations

import srzoo


@srzoo.hookimpl
def srzoo_register_charts(register: srzoo.hookspecs.Register) -> None:
    register(
        "facade",
        "srzoo_plugins.datasets.facade_chart:facade",
        description="a synthetic building facade (wall, windows, sills, door, cornice), Stage-GAN's domain",
    )


@srzoo.hookimpl
def srzoo_register_commands(cli: srzoo.cli.commands.CommandLine) -> None:
    cli.add_command(
        "data",
        "srzoo_plugins.datasets.cli:run",
        help="Download a dataset (CMP Facades, pix2pix layout), verify it and unpack it into a folder.",
        configure="srzoo_plugins.datasets.cli:configure",
    )


@srzoo.hookimpl
def srzoo_register_datasets(register: srzoo.hookspecs.Register) -> None:
    register(
        "facades",
        "srzoo_plugins.datasets.facades:FacadesDataset",
        description="CMP Facades, pix2pix layout: items hr (photo), semantic (label map), lr, opt. mr",
        targets=("hr", "lr", "semantic"),
        paper="R. Tyleček and R. Šára, Spatial Pattern Templates for Recognition of Objects with Regular Structure, GCPR 2013",
        license="research use (CMP Facade Database)",
        download="srzoo data facades --to DIR",
    )
    register(
        "folder",
        "srzoo_plugins.datasets.folder:FolderDataset",
        description="any folder of HR images; items hr, lr made by a degradation (bicubic), opt. mr",
    )
    register(
        "paired-folder",
        "srzoo_plugins.datasets.paired:PairedFolderDataset",
        description="HR and LR folders matched by name (baby.png <-> babyx4.png); items hr, lr, opt. mr",
    )
