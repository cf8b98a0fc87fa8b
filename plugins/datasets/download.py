"""Downloading CMP Facades (pix2pix layout) safely: stream, verify, unpack aside, then rename into place.

Nothing half-written is ever left at the destination: the archive is streamed to a temporary file
next to it, its size and sha256 are checked, it is unpacked into a temporary folder, the layout
(``train/`` and ``test/`` of 512×256 JPEGs that decode) is verified, and only then is the folder
renamed to the destination. Any failure removes the temporary files and leaves the destination as
it was.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import re
import secrets
import shutil
import tarfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from srzoo import __version__
from srzoo.errors import InputError, SrzooError
from srzoo.imageio import list_images

from .sources import FACADES_COUNTS, FACADES_IMAGE_SIZE, FACADES_SHA256, FACADES_URL

__all__ = [
    "FACADES_COUNTS",
    "FACADES_SHA256",
    "FACADES_URL",
    "FacadesDownload",
    "download_file",
    "fetch_facades",
    "verify_facades_layout",
]

Progress = Callable[[int, int | None], None]
"""``progress(bytes_received, total_bytes_or_None)``, called after every chunk."""

_CHUNK = 1 << 20
_REQUIRED_SPLITS = ("train", "test")


@dataclass(frozen=True)
class FacadesDownload:
    """What [`fetch_facades`][] put where."""

    path: Path
    """The dataset folder (holding ``train/``, ``test/`` and, from the full archive, ``val/``)."""
    counts: dict[str, int] = field(default_factory=dict)
    """Images per split."""
    sha256: str = ""
    """sha256 of the downloaded archive."""
    sha256_checked: bool = False
    """Whether ``sha256`` was compared with a pinned or given value (else only reported)."""
    size: int = 0
    """Bytes downloaded."""


def _check_sha256(value: str | None) -> str | None:
    if value is None:
        return None
    text = value.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", text):
        raise InputError(f"sha256 must be 64 hexadecimal digits, got {value!r}")
    return text


def download_file(
    url: str,
    target: Path,
    *,
    sha256: str | None = None,
    progress: Progress | None = None,
    timeout: float = 60.0,
) -> tuple[str, int]:
    """Stream ``url`` to ``target`` (which should be a temporary name), checking size and sha256.

    Returns:
        ``(sha256 hex digest, bytes)``.

    Raises:
        SrzooError: a network error, a download shorter or longer than its ``Content-Length``, or a
            sha256 that differs from ``sha256``. ``target`` may then hold partial data: the caller
            removes it.
    """
    expected = _check_sha256(sha256)
    request = urllib.request.Request(url, headers={"User-Agent": f"srzoo/{__version__}"})
    digest = hashlib.sha256()
    received = 0
    total: int | None = None
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response, open(target, "wb") as out:
            header = response.headers.get("Content-Length")
            total = int(header) if header and header.isdigit() else None
            if progress:
                progress(0, total)
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                if progress:
                    progress(received, total)
    except http.client.IncompleteRead as exc:
        received += len(exc.partial)
        expected_bytes = total if total is not None else received + (exc.expected or 0)
        raise SrzooError(
            f"download of {url} is incomplete: got {received} of {expected_bytes} bytes; try again"
        ) from None
    except urllib.error.HTTPError as exc:
        raise SrzooError(f"download of {url} failed: HTTP {exc.code} {exc.reason}") from None
    except (TimeoutError, urllib.error.URLError, ConnectionError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        raise SrzooError(f"download of {url} failed: {reason}; check the URL and your connection") from None
    except OSError as exc:  # writing the temporary file: disk full, permissions
        raise SrzooError(f"cannot write the download to {target.parent}: {exc.strerror or exc}") from None
    if total is not None and received != total:
        raise SrzooError(f"download of {url} is incomplete: got {received} of {total} bytes; try again")
    hexdigest = digest.hexdigest()
    if expected is not None and hexdigest != expected:
        raise SrzooError(
            f"download of {url} has sha256 {hexdigest}, expected {expected}: the file is corrupt or changed upstream"
        )
    return hexdigest, received


def _check_gzip(archive: Path) -> None:
    """Inflate a gzip file to its end, so that its CRC-32 and length trailer are checked (tarfile stops
    reading at the end-of-archive blocks and would miss a corrupt trailer or flipped stored bytes)."""
    with open(archive, "rb") as handle:
        if handle.read(2) != b"\x1f\x8b":
            return
    with gzip.open(archive, "rb") as stream:
        while stream.read(_CHUNK):
            pass


def _unpack(archive: Path, into: Path, url: str) -> None:
    try:
        _check_gzip(archive)
        with tarfile.open(archive, "r:*") as tar:
            members = tar.getmembers()  # reads the whole archive: a truncated gzip fails here
            for member in members:
                name = Path(member.name)
                if name.is_absolute() or ".." in name.parts or not (member.isfile() or member.isdir()):
                    raise SrzooError(
                        f"archive from {url} holds an unexpected entry {member.name!r}; refusing to unpack it"
                    )
            if hasattr(tarfile, "data_filter"):
                tar.extractall(into, members=members, filter="data")
            else:  # pragma: no cover - Python 3.11.0-3.11.3; the members were checked above
                tar.extractall(into, members=members)
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0].rstrip(":")
        raise SrzooError(f"archive from {url} is truncated or corrupt ({reason}); try again") from None
    except OSError as exc:
        raise SrzooError(f"cannot unpack into {into.parent}: {exc.strerror or exc}") from None


def _dataset_root(unpacked: Path) -> Path:
    """The folder holding ``train/`` and ``test/``: the unpacked folder itself or its single child."""
    if all((unpacked / split).is_dir() for split in _REQUIRED_SPLITS):
        return unpacked
    children = [p for p in unpacked.iterdir() if p.is_dir()]
    if len(children) == 1 and all((children[0] / split).is_dir() for split in _REQUIRED_SPLITS):
        return children[0]
    found = ", ".join(sorted(p.name for p in unpacked.iterdir())) or "nothing"
    raise SrzooError(f"the archive does not hold the facades layout train/ and test/ (found: {found})")


def verify_facades_layout(root: Path, expected_counts: Mapping[str, int] | None = None) -> dict[str, int]:
    """Check ``root/{train,test}[/val]`` hold only 512×256 JPEGs that decode; return images per split.

    Raises:
        SrzooError: a missing or empty split, a file of another size or format, a corrupt JPEG, or a
            count differing from ``expected_counts``.
    """
    counts: dict[str, int] = {}
    for split in ("train", "test", "val"):
        folder = root / split
        if not folder.is_dir():
            if split in _REQUIRED_SPLITS:
                raise SrzooError(f"facades layout: {split}/ is missing")
            continue
        files = list_images(folder)
        if not files:
            raise SrzooError(f"facades layout: {split}/ holds no images")
        for file in files:
            try:
                with Image.open(file) as im:
                    fmt, size = im.format, im.size
                    im.load()
            except Exception as exc:  # noqa: BLE001 - any decoder failure means a corrupt file
                raise SrzooError(f"facades layout: {split}/{file.name} does not decode ({exc})") from None
            if fmt != "JPEG" or size != FACADES_IMAGE_SIZE:
                raise SrzooError(
                    f"facades layout: {split}/{file.name} is a {size[0]}x{size[1]} {fmt}, expected a 512x256 JPEG"
                )
        counts[split] = len(files)
    if expected_counts is not None:
        for split, expected in expected_counts.items():
            if counts.get(split, 0) != expected:
                raise SrzooError(
                    f"facades layout: {split}/ holds {counts.get(split, 0)} images, expected {expected}"
                )
    return counts


def _make_folders(folder: Path) -> list[Path]:
    """``mkdir -p folder``; returns the folders it created, deepest first."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _remove_empty(missing)
        raise SrzooError(f"cannot create the folder {folder}: {exc.strerror or exc}") from None
    return missing


def _remove_empty(folders: list[Path]) -> None:
    """Remove the given folders (deepest first) as long as they are empty."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def _install(root: Path, dest: Path, previous: Path) -> None:
    """Rename ``root`` to ``dest``; an existing ``dest`` is moved aside first and restored on failure."""
    replaced = dest.exists()
    if replaced:
        dest.rename(previous)
    try:
        root.rename(dest)
    except BaseException:
        if replaced:
            previous.rename(dest)
        raise
    if replaced:
        shutil.rmtree(previous, ignore_errors=True)


def fetch_facades(
    to: str | Path,
    *,
    url: str = FACADES_URL,
    sha256: str | None = FACADES_SHA256,
    force: bool = False,
    expected_counts: Mapping[str, int] | None = None,
    progress: Progress | None = None,
) -> FacadesDownload:
    """Download CMP Facades (pix2pix layout) into the folder ``to``.

    Args:
        to: destination folder; created. It must not exist or be empty unless ``force``.
        url: where to download the ``.tar.gz`` from (any ``http(s)://`` or ``file://`` URL).
        sha256: the archive's expected sha256 (default the pinned `FACADES_SHA256`); ``None``
            reports the hash without checking it.
        force: replace an existing non-empty ``to`` (only after the new copy is complete and valid).
        expected_counts: images per split to require; default `FACADES_COUNTS` when ``url`` is
            `FACADES_URL`, else none.
        progress: ``progress(bytes_received, total_or_None)`` callback.

    Returns:
        A [`FacadesDownload`][] with the path, the images per split and the archive's sha256.

    Raises:
        InputError: a bad ``sha256`` or a destination that is a file or a non-empty folder.
        SrzooError: a failed, truncated or corrupt download (hash or layout); nothing is left behind.
    """
    expected = _check_sha256(sha256)
    dest = Path(to).expanduser().absolute()
    if dest.exists() and not dest.is_dir():
        raise InputError(f"{dest} is a file; give a folder for the dataset")
    if dest.is_dir() and any(dest.iterdir()) and not force:
        raise InputError(f"{dest} is not empty; choose another folder or pass --force to replace it")
    if expected_counts is None and url == FACADES_URL:
        expected_counts = FACADES_COUNTS
    created = _make_folders(dest.parent)
    token = secrets.token_hex(4)
    archive = dest.parent / f".{dest.name}.{token}.tar.gz.part"
    staging = dest.parent / f".{dest.name}.{token}.unpacking"
    previous = dest.parent / f".{dest.name}.{token}.replaced"
    try:
        digest, size = download_file(url, archive, sha256=expected, progress=progress)
        staging.mkdir()
        _unpack(archive, staging, url)
        archive.unlink()
        root = _dataset_root(staging)
        counts = verify_facades_layout(root, expected_counts)
        _install(root, dest, previous)
    except BaseException:
        archive.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        _remove_empty(created)  # a failed download leaves no empty folders behind
        raise
    finally:
        archive.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
    return FacadesDownload(
        path=dest, counts=counts, sha256=digest, sha256_checked=expected is not None, size=size
    )
