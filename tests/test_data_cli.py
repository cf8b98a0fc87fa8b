"""``srzoo data facades``: download from a local HTTP server, verify, and never leave half-written data."""

from __future__ import annotations

import hashlib
import http.server
import io
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from srzoo_plugins.datasets.download import fetch_facades

from srzoo.cli import main
from srzoo.errors import SrzooError


def _jpeg(width: int = 512, height: int = 256, seed: int = 0) -> bytes:
    array = np.random.default_rng(seed).integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="JPEG", quality=50)
    return buffer.getvalue()


def _tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


GOOD = _tarball(
    {
        "facades/train/1.jpg": _jpeg(seed=1),
        "facades/train/2.jpg": _jpeg(seed=2),
        "facades/test/1.jpg": _jpeg(seed=3),
        "facades/val/1.jpg": _jpeg(seed=4),
    }
)
GOOD_SHA256 = hashlib.sha256(GOOD).hexdigest()


class _Server:
    """A local HTTP server: ``routes[path] = (body, content_length_to_announce)``."""

    def __init__(self) -> None:
        routes: dict[str, tuple[bytes, int]] = {}
        self.routes = routes

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path not in routes:
                    self.send_error(404, "Not Found")
                    return
                body, length = routes[self.path]
                self.send_response(200)
                self.send_header("Content-Type", "application/gzip")
                self.send_header("Content-Length", str(length))
                self.end_headers()
                self.wfile.write(body)  # fewer bytes than announced simulates a dropped connection
                self.wfile.flush()
                self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str, body: bytes, length: int | None = None) -> str:
        self.routes[path] = (body, len(body) if length is None else length)
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture(scope="module")
def server() -> Iterator[_Server]:
    running = _Server()
    yield running
    running.close()


def _leftovers(parent: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name not in keep)


def _error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err, err
    return err


def test_download_success(server: _Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = server.url("/facades.tar.gz", GOOD)
    dest = tmp_path / "data" / "facades"
    assert main(["data", "facades", "--to", str(dest), "--url", url, "--sha256", GOOD_SHA256.upper()]) == 0
    captured = capsys.readouterr()
    assert "facades: 2 train, 1 test, 1 val images" in captured.out and str(dest) in captured.out
    assert f"sha256 {GOOD_SHA256} verified" in captured.out
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*.jpg")) == [
        "test/1.jpg",
        "train/1.jpg",
        "train/2.jpg",
        "val/1.jpg",
    ]
    assert (dest / "train" / "2.jpg").read_bytes() == _jpeg(seed=2)
    assert _leftovers(dest.parent, {"facades"}) == []
    # the result is usable as the facades dataset right away
    import srzoo

    assert len(srzoo.create("dataset", "facades", root=dest, split="train", scale=4)) == 2


def test_without_a_hash_the_sha256_is_reported(
    server: _Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = server.url("/nohash.tar.gz", GOOD)
    assert main(["data", "facades", "--to", str(tmp_path / "f"), "--url", url]) == 0
    err = capsys.readouterr().err
    assert "sha256 not checked" in err and GOOD_SHA256 in err and f"--sha256 {GOOD_SHA256}" in err


def test_hash_mismatch_leaves_nothing(
    server: _Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = server.url("/tampered.tar.gz", GOOD)
    assert main(["data", "facades", "--to", str(tmp_path / "f"), "--url", url, "--sha256", "0" * 64]) == 2
    line = _error_line(capsys)
    assert f"has sha256 {GOOD_SHA256}, expected {'0' * 64}: the file is corrupt or changed upstream" in line
    assert _leftovers(tmp_path, set()) == []


def test_truncated_download_leaves_nothing(
    server: _Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = server.url("/short.tar.gz", GOOD[:1000], length=len(GOOD))
    assert main(["data", "facades", "--to", str(tmp_path / "f"), "--url", url]) == 2
    line = _error_line(capsys)
    assert f"is incomplete: got 1000 of {len(GOOD)} bytes; try again" in line
    assert _leftovers(tmp_path, set()) == []


def test_truncated_gzip_is_refused(
    server: _Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cut = GOOD[: len(GOOD) - 200]  # served completely, but the archive itself is cut
    url = server.url("/cut.tar.gz", cut)
    assert main(["data", "facades", "--to", str(tmp_path / "f"), "--url", url]) == 2
    assert "is truncated or corrupt" in _error_line(capsys)
    html = server.url("/page.tar.gz", b"<html>moved to another host</html>")
    assert main(["data", "facades", "--to", str(tmp_path / "f"), "--url", html]) == 2
    assert "is truncated or corrupt" in _error_line(capsys)
    flipped = bytearray(GOOD)
    flipped[len(flipped) // 2] ^= 0xFF  # breaks the deflate stream or the gzip CRC
    url = server.url("/flipped.tar.gz", bytes(flipped))
    assert main(["data", "facades", "--to", str(tmp_path / "f"), "--url", url]) == 2
    assert "is truncated or corrupt" in _error_line(capsys)
    assert _leftovers(tmp_path, set()) == []


def test_existing_folder_is_kept_unless_forced(
    server: _Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "facades"
    dest.mkdir()
    (dest / "mine.txt").write_text("keep me")
    url = server.url("/again.tar.gz", GOOD)
    assert main(["data", "facades", "--to", str(dest), "--url", url]) == 2
    assert "is not empty; choose another folder or pass --force to replace it" in _error_line(capsys)
    assert [p.name for p in dest.iterdir()] == ["mine.txt"]
    assert main(["data", "facades", "--to", str(dest), "--url", url, "--force"]) == 0
    assert sorted(p.name for p in dest.iterdir()) == ["test", "train", "val"]
    assert _leftovers(tmp_path, {"facades"}) == []
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["data", "facades", "--to", str(empty), "--url", url]) == 0
    (tmp_path / "file").write_text("x")
    assert main(["data", "facades", "--to", str(tmp_path / "file"), "--url", url]) == 2
    assert "is a file; give a folder for the dataset" in capsys.readouterr().err


def test_bad_layout_keeps_the_old_copy(
    server: _Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "facades"
    good_url = server.url("/good.tar.gz", GOOD)
    assert main(["data", "facades", "--to", str(dest), "--url", good_url]) == 0
    capsys.readouterr()
    before = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*"))
    small = _tarball({"facades/train/1.jpg": _jpeg(256, 256), "facades/test/1.jpg": _jpeg()})
    assert (
        main(["data", "facades", "--to", str(dest), "--url", server.url("/small.tar.gz", small), "--force"])
        == 2
    )
    assert "facades layout: train/1.jpg is a 256x256 JPEG, expected a 512x256 JPEG" in _error_line(capsys)
    no_test = _tarball({"facades/train/1.jpg": _jpeg()})
    assert (
        main(
            ["data", "facades", "--to", str(dest), "--url", server.url("/notest.tar.gz", no_test), "--force"]
        )
        == 2
    )
    assert "does not hold the facades layout train/ and test/ (found: facades)" in _error_line(capsys)
    broken = _tarball({"facades/train/1.jpg": _jpeg()[:3000], "facades/test/1.jpg": _jpeg()})
    assert (
        main(["data", "facades", "--to", str(dest), "--url", server.url("/broken.tar.gz", broken), "--force"])
        == 2
    )
    assert "facades layout: train/1.jpg does not decode" in _error_line(capsys)
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*")) == before
    assert _leftovers(tmp_path, {"facades"}) == []


def test_unsafe_archive_entries_are_refused(
    server: _Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    evil = _tarball({"facades/train/1.jpg": _jpeg(), "facades/test/1.jpg": _jpeg(), "../evil.jpg": b"x"})
    url = server.url("/evil.tar.gz", evil)
    assert main(["data", "facades", "--to", str(tmp_path / "sub" / "f"), "--url", url]) == 2
    assert "holds an unexpected entry '../evil.jpg'; refusing to unpack it" in _error_line(capsys)
    assert not (tmp_path / "evil.jpg").exists() and _leftovers(tmp_path, set()) == []  # sub/ removed too


def test_bad_arguments_and_http_errors(
    server: _Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = server.url("/ok.tar.gz", GOOD)
    assert main(["data", "facades", "--to", str(tmp_path / "f"), "--url", url, "--sha256", "abc"]) == 2
    assert "sha256 must be 64 hexadecimal digits, got 'abc'" in _error_line(capsys)
    missing = url.replace("/ok.tar.gz", "/missing.tar.gz")
    assert main(["data", "facades", "--to", str(tmp_path / "f"), "--url", missing]) == 2
    assert "failed: HTTP 404" in _error_line(capsys)
    assert _leftovers(tmp_path, set()) == []


def test_library_checks_counts_and_reads_file_urls(tmp_path: Path) -> None:
    archive = tmp_path / "facades.tar.gz"
    archive.write_bytes(GOOD)
    with pytest.raises(SrzooError, match=r"facades layout: train/ holds 2 images, expected 400"):
        fetch_facades(tmp_path / "a", url=archive.as_uri(), expected_counts={"train": 400, "test": 106})
    seen: list[tuple[int, int | None]] = []
    result = fetch_facades(
        tmp_path / "b", url=archive.as_uri(), sha256=GOOD_SHA256, progress=lambda n, t: seen.append((n, t))
    )
    assert (
        result.counts == {"train": 2, "test": 1, "val": 1}
        and result.sha256_checked
        and result.size == len(GOOD)
    )
    assert seen[0] == (0, len(GOOD)) and seen[-1] == (len(GOOD), len(GOOD))
    assert _leftovers(tmp_path, {"facades.tar.gz", "b"}) == []
