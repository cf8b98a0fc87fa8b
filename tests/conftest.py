"""Shared fixtures: paths to ../shared, GPU skipping, throwaway plugins."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SRZOO_SHARED", REPO.parent / "shared"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except ImportError:  # pragma: no cover - torch is a dependency
        has_cuda = False
    skip_gpu = pytest.mark.skip(reason="needs a CUDA device")
    skip_shared = pytest.mark.skip(reason=f"needs the shared data at {SHARED}")
    for item in items:
        if "gpu" in item.keywords and not has_cuda:
            item.add_marker(skip_gpu)
        if "shared_data" in item.keywords and not SHARED.is_dir():
            item.add_marker(skip_shared)


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
