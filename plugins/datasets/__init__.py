"""Built-in plugin ``datasets``: SR datasets as ``torch.utils.data.Dataset``\\ s of dicts of tensors.

Registers ``facades`` (CMP Facades in the pix2pix layout, with semantic label maps), ``folder`` (any
folder of HR images, LR made by a degradation) and ``paired-folder`` (HR and LR folders matched by
name, e.g. Set5's ``baby.png`` ↔ ``babyx4.png``). The factories are lazy references, so importing
this module imports no torch code. See :mod:`srzoo_plugins.datasets.degrade` for degrading whole
batches on the GPU in training loops.
"""

from __future__ import annotations

import srzoo

_ITEM = "items: dict with 'hr' (3,H,W), 'lr' (3,H/s,W/s) in [0,1], 'name'"


@srzoo.hookimpl
def srzoo_register_datasets(register: srzoo.hookspecs.Register) -> None:
    register(
        "facades",
        "srzoo_plugins.datasets.facades:FacadesDataset",
        description=f"CMP Facades, pix2pix layout root/{{train,test}}/N.jpg (photo | label map); {_ITEM}, 'semantic', opt. 'mr'",
        paper="R. Tyleček and R. Šára, Spatial Pattern Templates for Recognition of Objects with Regular Structure, GCPR 2013",
        license="research use (CMP Facade Database)",
        download="srzoo data facades --to DIR",
    )
    register(
        "folder",
        "srzoo_plugins.datasets.folder:FolderDataset",
        description=f"any folder of HR images; HR cropped to a multiple of the scale, LR made by a degradation; {_ITEM}",
    )
    register(
        "paired-folder",
        "srzoo_plugins.datasets.paired:PairedFolderDataset",
        description=f"HR and LR folders matched by name (baby.png <-> babyx4.png); {_ITEM}",
    )
