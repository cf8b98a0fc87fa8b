"""Where the downloadable datasets come from (no torch import: the CLI reads this to build ``--help``)."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["FACADES_COUNTS", "FACADES_IMAGE_SIZE", "FACADES_SHA256", "FACADES_URL"]

FACADES_URL = "http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/facades.tar.gz"
"""The pix2pix authors' facades archive (``facades/{train,val,test}/N.jpg``)."""

FACADES_SHA256: str | None = None
"""The pinned sha256 of `FACADES_URL`. ``None``: no published value could be found to pin, so
the archive's hash is reported instead of checked; pass ``sha256=`` (``--sha256``) to enforce one."""

FACADES_COUNTS: Mapping[str, int] = {"train": 400, "test": 106, "val": 100}
"""Images per split in the pix2pix archive; checked when downloading from `FACADES_URL`."""

FACADES_IMAGE_SIZE = (512, 256)
"""``(width, height)`` of every facades file: photo on the left, label map on the right."""
