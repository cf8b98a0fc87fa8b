"""Recognising CMP Facades in the pix2pix layout: 512×256 files holding photo | label map.

`srzoo train` and `srzoo bench` both accept a Facades split folder where they accept a folder of
HR images; read as plain images, its files would be scored or trained on as 512×256 photo + label
pairs. These checks let both hand such a folder to the dataset that reads the photo halves.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..imageio import image_size, list_images

__all__ = ["FACADES_FILE", "FACADES_SPLITS", "is_facades_file", "is_facades_folder"]

FACADES_FILE = (256, 512)
"""``(H, W)`` of a pix2pix Facades file (photo | label map)."""
FACADES_SPLITS = ("train", "test", "val")
"""The split folder names the facades reader accepts."""


def is_facades_file(file: Path) -> bool:
    """Whether ``file`` is an image of exactly the pix2pix Facades size (unreadable files: no)."""
    try:
        return image_size(file) == FACADES_FILE
    except InputError:
        return False


def is_facades_folder(folder: Path) -> bool:
    """Whether ``folder``'s first image (natural order) is a pix2pix Facades file."""
    files = list_images(folder)
    return bool(files) and is_facades_file(files[0])
