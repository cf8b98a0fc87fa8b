"""Shared fixtures: paths to ../shared, GPU skipping, throwaway plugins, a summary of the skips.

The data tests read the shared folder (``data/`` with Facades, Set5, Set14, B100 and ``weights/``):
``$SRZOO_SHARED`` when set, else ``../shared`` beside the repository. Without it they are skipped,
and the terminal summary says how many and how to give them the data.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SRZOO_SHARED", REPO.parent / "shared"))
GPU_REASON = "needs a CUDA device"
SHARED_HOW = "set SRZOO_SHARED=/path/to/shared (the folder holding data/ and weights/) or put it at ../shared"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except ImportError:  # pragma: no cover - torch is a dependency
        has_cuda = False
    skip_gpu = pytest.mark.skip(reason=GPU_REASON)
    skip_shared = pytest.mark.skip(reason=f"needs the shared data at {SHARED}")
    for item in items:
        if "gpu" in item.keywords and not has_cuda:
            item.add_marker(skip_gpu)
        if "shared_data" in item.keywords and not SHARED.is_dir():
            item.add_marker(skip_shared)


def _skip_reason(report: pytest.TestReport) -> str:
    """The reason a skipped test gave (``longrepr`` is ``(path, line, "Skipped: reason")``)."""
    if isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return str(report.longrepr)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """One section saying how many tests were skipped for want of the shared data (and why, and how
    to give it) or of a GPU. Skips are counted by their reason, not their marker: a data test that
    was skipped for want of a GPU counts as a GPU skip."""
    reasons = [
        _skip_reason(r) for r in terminalreporter.stats.get("skipped", []) if isinstance(r, pytest.TestReport)
    ]
    data = Counter(reason for reason in reasons if str(SHARED) in reason)
    gpu = sum(1 for reason in reasons if reason == GPU_REASON)
    if not data and not gpu:
        return
    terminalreporter.section("skipped data and GPU tests")
    if data:
        total = sum(data.values())
        terminalreporter.write_line(f"{total} data test{'s' * (total != 1)} skipped; {SHARED_HOW}:")
        for reason, count in data.most_common():
            terminalreporter.write_line(f"  {count:4d} × {reason}")
    if gpu:
        terminalreporter.write_line(f"{gpu} GPU test{'s' * (gpu != 1)} skipped: no CUDA device")


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four smooth RGB photos of 40–64 pixels a side (SRCNN trains on them in milliseconds a step)."""
    folder = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(3)
    for index, (h, w) in enumerate([(48, 40), (40, 56), (64, 48), (44, 44)]):
        coarse = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
        Image.fromarray(coarse).resize((w, h), Image.BICUBIC).save(folder / f"{index}.png")
    return folder


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` (or ``$SRZOO_SHARED``); tests using it should be marked ``shared_data``."""
    if not SHARED.is_dir():
        pytest.skip(f"needs the shared data at {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def data_dir(shared_dir: Path) -> Path:
    return shared_dir / "data"


@pytest.fixture(scope="module")
def one_thread():
    """One intra-op thread for a module: on a busy 2-core box, two threads are many times slower for
    tiny nets (use with ``pytestmark = pytest.mark.usefixtures("one_thread")``)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def throwaway_plugin():
    """Register plugin objects for one test: ``name = throwaway_plugin(obj, "name")``."""
    import srzoo
    from srzoo.registry import loader as _plugins

    names: list[str] = []

    def register(plugin: object, name: str) -> str:
        names.append(srzoo.register_plugin(plugin, name))
        return names[-1]

    yield register
    for name in names:
        if any(registered == name for registered, _ in _plugins._extra):  # broken ones were never kept
            _plugins.unregister_plugin(name)
    _plugins.reload()
