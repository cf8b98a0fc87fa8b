"""Link the dependencies a wheel declares, as installed in this environment, into one folder.

    python .ci/link_deps.py WHEEL FOLDER

Reads the wheel's ``Requires-Dist`` (no extras), follows every requirement's own requirements
through the distributions installed here, checks each installed version against what asks for it,
and links each distribution's files (its top-level packages and its ``.dist-info``) into FOLDER.
A fresh venv with FOLDER on its path then sees exactly the wheel's dependency closure: an import
the wheel does not declare fails there as it would on a user's machine, yet nothing is downloaded
or copied (torch with its CUDA libraries is 5 GB). Exits 1 with one line if a requirement is not
installed here or its version does not fit.
"""

from __future__ import annotations

import sys
import zipfile
from email.parser import Parser
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


def wheel_requirements(wheel: Path) -> list[Requirement]:
    """The wheel's ``Requires-Dist`` lines from its ``METADATA``."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        headers = Parser().parsestr(archive.read(name).decode("utf-8"))
    return [Requirement(line) for line in headers.get_all("Requires-Dist") or []]


def closure(roots: list[Requirement]) -> dict[str, metadata.Distribution]:
    """Every installed distribution the requirements need, by canonical name, markers evaluated without extras."""
    found: dict[str, metadata.Distribution] = {}
    todo = [(requirement, "the wheel") for requirement in roots]
    while todo:
        requirement, wanted_by = todo.pop()
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        key = canonicalize_name(requirement.name)
        try:
            dist = found.get(key) or metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            raise SystemExit(f"error: {wanted_by} needs {requirement}, which is not installed here") from None
        if not requirement.specifier.contains(dist.version, prereleases=True):
            raise SystemExit(f"error: {wanted_by} needs {requirement}, installed here: {dist.version}")
        if key not in found:
            found[key] = dist
            todo += [(Requirement(line), dist.metadata["Name"]) for line in dist.requires or []]
    return found


def top_level_paths(dist: metadata.Distribution) -> set[Path]:
    """The distribution's entries directly in site-packages (packages, modules, its .dist-info)."""
    entries = set()
    for file in dist.files or []:
        if file.parts and file.parts[0] != "..":  # scripts land in ../../bin: not needed for imports
            entries.add(Path(dist.locate_file(file.parts[0])))
    return {entry for entry in entries if entry.exists() and entry.name != "__pycache__"}


def main(argv: list[str]) -> int:
    wheel, folder = Path(argv[0]), Path(argv[1])
    folder.mkdir(parents=True, exist_ok=True)
    dists = closure(wheel_requirements(wheel))
    for dist in dists.values():
        for path in top_level_paths(dist):
            link = folder / path.name
            if not link.exists():
                link.symlink_to(path)
    print(f"linked {len(dists)} installed distributions into {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
