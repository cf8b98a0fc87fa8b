"""The Python examples of the README and the docs' front pages run as pasted, in an empty folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = ("README.md", "docs/index.md", "docs/quickstart.md")


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


@pytest.mark.parametrize("page", PAGES)
def test_python_examples_run_in_an_empty_folder(page: str, tmp_path: Path):
    blocks = _python_blocks((REPO / page).read_text(encoding="utf-8"))
    assert blocks, f"{page} has no ```python block"
    script = "\n".join(blocks)  # later blocks of a page may use earlier ones, as a reader's session does
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"{page}'s Python example failed:\n{result.stderr}"
    if page != "docs/index.md":  # the upscaling examples write the chart and its x4 version
        from srzoo.imageio import image_size

        assert image_size(tmp_path / "chart_x4.png") == tuple(
            4 * n for n in image_size(tmp_path / "chart.png")
        )


def test_the_examples_need_no_file_the_reader_does_not_have():
    for page in PAGES:
        code = "".join(_python_blocks((REPO / page).read_text(encoding="utf-8")))
        assert "photo.png" not in code, page  # the upscaling examples draw their own input chart
