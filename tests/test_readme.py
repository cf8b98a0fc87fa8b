"""The README's two set-up commands stay true, and CI runs the same test command."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _bash_blocks(text: str) -> list[str]:
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL)]


def test_readme_has_the_two_setup_commands_and_ci_runs_the_test_one():
    blocks = _bash_blocks((REPO / "README.md").read_text())
    main_job, test_command = blocks[0], blocks[1]
    assert (
        main_job == "pip install . && srzoo bench --out srzoo-bench"
    )  # the built wheel, as users install it
    assert test_command == 'pip install -e ".[dev]" && python -m pytest'
    ci = (REPO / ".ci" / "run").read_text()
    assert test_command in ci
    assert "mkdocs build --strict" in ci
    assert "ruff check ." in ci and "ruff format --check ." in ci
    assert '"$status" -eq 5' in ci  # pytest's "no tests" must fail CI
    assert "\n.ci/wheel_smoke.sh\n" in ci  # the installed wheel, not only the editable checkout


def test_every_docs_page_in_the_nav_exists():
    nav_pages = re.findall(r":\s*([\w-]+\.md)\s*$", (REPO / "mkdocs.yml").read_text(), flags=re.MULTILINE)
    assert nav_pages, "mkdocs.yml lists no pages"
    missing = [page for page in nav_pages if not (REPO / "docs" / page).is_file()]
    assert not missing, f"pages in mkdocs.yml nav without a file: {missing}"
