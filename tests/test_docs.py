"""The API reference as a reader sees it: the HTML that ``mkdocs build --strict`` renders.

``--strict`` only fails on broken links and warnings; it lets literal Sphinx roles, doctest lines
rendered as nested block quotes, internal module paths as headings and missing public names through.
The site is built once into a temporary folder and its HTML is inspected.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest

import srzoo

REPO = Path(__file__).resolve().parents[1]

# The public modules of the core and where the reference documents them.
PUBLIC_MODULES = {
    "srzoo.recipe": "reference/recipes/",
    "srzoo.inference": "reference/model/",
    "srzoo.weights": "reference/weights/",
    "srzoo.imageio": "reference/imageio/",
    "srzoo.charts": "reference/charts/",
    "srzoo.errors": "reference/errors/",
    "srzoo.registry": "reference/plugins/",
    "srzoo.checks": "reference/toolkit/",
    "srzoo.color": "reference/toolkit/",
    "srzoo.train": "reference/training/",
    "srzoo.bench": "reference/bench/",
    "srzoo.inference.checkpoints": "checkpoints/",
}

# Each top-level name on the page a reader looks for it.
EXPECTED_PAGES = {
    "reference/building/": [
        "build",
        "create",
        "get_recipe",
        "list_models",
        "list_components",
        "describe",
        "load_checkpoint",
    ],
    "reference/model/": ["SRModel", "optimize_for_inference"],
    "reference/recipes/": ["Recipe", "load_recipe"],
    "reference/weights/": ["load_weights", "save_weights"],
    "reference/errors/": [
        "SrzooError",
        "InputError",
        "UnknownNameError",
        "DuplicateNameError",
        "RecipeError",
        "WeightsError",
    ],
    "reference/plugins/": ["hookimpl", "register_plugin", "unregister_plugin"],
    "reference/toolkit/": ["ComponentInfo", "Examples", "DefaultWeights"],
    "reference/training/": ["Trainer", "train"],
    "reference/bench/": ["bench"],
}

HEADING = re.compile(r'<h([1-6]) id="([^"]+)" class="doc doc-heading">(.*?)</h\1>', flags=re.DOTALL)
PRE = re.compile(r"<pre\b.*?</pre>", flags=re.DOTALL)
CODE = re.compile(r"<code\b.*?</code>", flags=re.DOTALL)
TAG = re.compile(r"<[^>]+>")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """``{page path: html}`` of every page of the built site, e.g. ``"reference/building/"``."""
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    pages = {}
    for file in out.rglob("index.html"):
        page = file.parent.relative_to(out).as_posix()
        if page.split("/")[0] not in ("search", "assets"):
            pages["" if page == "." else f"{page}/"] = file.read_text(encoding="utf-8")
    return pages


def _prose(html: str) -> str:
    """The page without code blocks and inline code: what renders as running text."""
    return CODE.sub("", PRE.sub("", html))


def _headings(html: str) -> dict[str, str]:
    """``{anchor id: visible text}`` of the API headings on a page."""
    return {anchor: " ".join(TAG.sub(" ", text).split()) for _, anchor, text in HEADING.findall(html)}


def _where(site: dict[str, str]) -> dict[str, str]:
    return {anchor: page for page, html in site.items() for anchor in _headings(html)}


def test_no_literal_sphinx_roles(site):
    role = re.compile(r":(class|meth|func|data|mod|attr|exc|obj):")
    found = {page: role.findall(_prose(html)) for page, html in site.items()}
    assert not {page: roles for page, roles in found.items() if roles}


def test_doctest_examples_render_as_code(site):
    for page, html in site.items():
        prose = _prose(html)
        assert "&gt;&gt;&gt;" not in prose, f"{page}: '>>>' outside a code block"
        assert "<blockquote" not in html, f"{page}: '>>>' lines rendered as nested block quotes"
        assert "::</p>" not in html, f"{page}: a reST '::' literal marker"
    build = site["reference/building/"]
    section = build[build.index('id="srzoo.build"') : build.index('id="srzoo.create"')]
    examples = [unescape(TAG.sub("", block)) for block in PRE.findall(section)]
    assert any('>>> model = srzoo.build("bicubic-x4")\n' in block for block in examples), examples
    prompts = sum(html.count('<span class="gp">&gt;&gt;&gt; </span>') for html in site.values())
    assert prompts >= 40  # the examples of the core and the built-in plugins


def test_public_names_are_headed_by_their_public_path_on_the_expected_page(site):
    where = _where(site)
    for page, names in EXPECTED_PAGES.items():
        headings = _headings(site[page])
        for name in names:
            assert f"srzoo.{name}" in headings, f"srzoo.{name} is not a heading of {page}"
            assert headings[f"srzoo.{name}"].startswith(f"srzoo.{name}")
    documented = set(srzoo.__all__) - {"__version__"}
    assert documented <= {anchor.removeprefix("srzoo.") for anchor in where}
    internal = [a for a in where if a.startswith(("srzoo.api.", "srzoo.model.", "srzoo.errors."))]
    assert not internal, f"internal paths as headings: {internal}"


@pytest.mark.parametrize("module_name", sorted(PUBLIC_MODULES))
def test_every_name_of_a_public_module_is_documented(site, module_name):
    where = _where(site)
    assert where.get(module_name, PUBLIC_MODULES[module_name]) == PUBLIC_MODULES[module_name]
    for name in importlib.import_module(module_name).__all__:
        page = where.get(f"{module_name}.{name}") or where.get(f"srzoo.{name}")
        assert page is not None, f"{module_name}.{name} is in __all__ but not in the reference"


def test_no_private_module_is_published(site):
    assert not [page for page in site if "/_" in f"/{page}"]
    private = re.compile(r"^(srzoo\w*(?:\.[a-zA-Z]\w*)*\._\w+)")
    published = {match.group(1) for anchor in _where(site) if (match := private.match(anchor))}
    assert not published, f"private modules in the reference: {sorted(published)}"


def test_cross_references_resolve(site):
    unresolved = re.compile(r"\]\[[\w.]*\]")
    for page, html in site.items():
        assert not unresolved.findall(PRE.sub("", html)), f"{page}: an unresolved [x][y] cross-reference"
    build = site["reference/building/"]
    assert 'href="../model/#srzoo.SRModel"' in build  # build's Returns links to SRModel's page
