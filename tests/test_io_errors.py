"""Damaged weights files and failed writes give one-line errors and leave nothing behind."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import pytest
import torch
from test_lapsrn import write_dagnn

import srzoo
from srzoo.cli import main


@pytest.fixture(scope="module")
def generated_mat(tmp_path_factory) -> Path:
    torch.manual_seed(3)
    path = tmp_path_factory.mktemp("mat") / "LapSRN_x2.mat"
    write_dagnn(path, srzoo.build("lapsrn-x2").stages["sr"])
    return path


def _damaged(source: Path, folder: Path) -> dict[str, Path]:
    data = source.read_bytes()
    flipped = bytearray(data)
    for i in range(400, len(flipped), 97):  # inside the compressed elements: zlib errors
        flipped[i] ^= 0x5A
    zeroed = bytearray(data)
    zeroed[200:260] = bytes(60)
    files = {
        "truncated-half": data[: len(data) // 2],
        "truncated-tail": data[:-1],
        "truncated-header": data[:300],
        "bit-flips": bytes(flipped),
        "zeroed": bytes(zeroed),
    }
    paths = {}
    for name, content in files.items():
        paths[name] = folder / f"{name}.mat"
        paths[name].write_bytes(content)
    return paths


def _convert_fails_in_one_line(source: Path, out: Path, capsys) -> str:
    assert main(["convert", "lapsrn-x2", str(source), "-o", str(out)]) == 2
    captured = capsys.readouterr()
    lines = [line for line in captured.err.strip().splitlines() if line.strip()]
    assert len(" ".join(lines)) and lines[0].startswith("error: "), captured.err
    assert "Traceback" not in captured.err
    assert not out.exists()
    return " ".join(captured.err.split())


def _check_damaged(source: Path, tmp_path: Path, capsys) -> None:
    for name, path in _damaged(source, tmp_path).items():
        message = _convert_fails_in_one_line(path, tmp_path / f"{name}.safetensors", capsys)
        assert f"{name}.mat: " in message
        assert ("truncated or corrupt .mat file" in message) or (
            "not a readable MATLAB .mat file" in message
        ), message
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".mat"] * 5  # nothing written


def test_damaged_mat_files_give_one_line(generated_mat, tmp_path, capsys):
    _check_damaged(generated_mat, tmp_path, capsys)


@pytest.mark.shared_data
def test_damaged_official_lapsrn_weights_give_one_line(shared_dir, tmp_path, capsys):
    official = tmp_path / "official"
    official.mkdir()
    copy = shutil.copy(
        shared_dir / "weights" / "lapsrn-official" / "LapSRN_x2.mat", official / "LapSRN_x2.mat"
    )
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    _check_damaged(Path(copy), damaged, capsys)


def test_convert_disk_full_gives_one_line_and_no_partial_file(generated_mat, tmp_path, capsys, monkeypatch):
    def no_space(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", no_space)
    out = tmp_path / "w.safetensors"
    message = _convert_fails_in_one_line(generated_mat, out, capsys)
    assert message == f"error: {out}: cannot write the weights (No space left on device)"
    assert list(tmp_path.iterdir()) == []


def test_convert_permission_denied_gives_one_line(generated_mat, tmp_path, capsys, monkeypatch):
    real_open = os.open

    def denied(path, *args, **kwargs):
        if str(path).endswith(".partial"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    out = tmp_path / "w.safetensors"
    message = _convert_fails_in_one_line(generated_mat, out, capsys)
    assert message == f"error: {out}: cannot write the weights (Permission denied)"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores folder permissions")
def test_convert_into_a_read_only_folder(generated_mat, tmp_path, capsys):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        message = _convert_fails_in_one_line(generated_mat, folder / "w.safetensors", capsys)
        assert "cannot write the weights (Permission denied)" in message
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


def test_failed_downloads_leave_no_empty_folders(tmp_path, capsys):
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"\x1f\x8b not really gzip")
    target = tmp_path / "work"
    target.mkdir()
    dest = target / "new" / "deeper" / "facades"
    for url in (broken.as_uri(), (tmp_path / "missing.tar.gz").as_uri()):
        assert main(["data", "facades", "--to", str(dest), "--url", url]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: ") and "\n" not in err, err
        assert list(target.iterdir()) == []  # new/deeper/ were created for the download, then removed


def test_failed_image_writes_leave_no_empty_folders(tmp_path, monkeypatch):
    from srzoo import imageio
    from srzoo.errors import InputError

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(imageio, "_atomic_save", no_space)
    target = tmp_path / "a" / "b" / "out.png"
    with pytest.raises(InputError, match=r"out.png: cannot write the image \(No space left on device\)$"):
        imageio.write_image(torch.rand(3, 4, 4), target)
    assert list(tmp_path.iterdir()) == []
