"""The tools the rendering tests need: LibreOffice, poppler, Chromium (through Playwright).

A tool that is missing skips its tests on a developer's machine, with the package that brings
it; under CI (the ``CI`` environment variable set, as ``.ci/run`` runs) a missing tool fails
them instead, so a broken install never passes as a green run that tested nothing.
``.ci/run`` installs the Debian packages; ``requirements-dev.txt`` brings Playwright.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

#: each tool: the Debian package that brings it
PACKAGES = {
    "soffice": "libreoffice-calc-nogui",
    "pdfinfo": "poppler-utils",
    "pdftotext": "poppler-utils",
    "chromium": "chromium",
}
#: where Chromium is on Debian (Playwright's own browser downloads are not used)
CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
#: Chromium's switches for a quiet, headless, offline run
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def missing(what: str) -> None:
    """Skip (a developer's machine) or fail (CI) for a missing tool."""
    message = f"{what} is not installed; .ci/run installs it (README: 'Tests that look at the real rendering')"
    if os.environ.get("CI"):
        pytest.fail(f"CI: {message}", pytrace=False)
    pytest.skip(message)


def tool(name: str) -> str:
    """The path of command ``name``, or skip/fail naming its Debian package."""
    path = shutil.which(name)
    if path is None:
        missing(f"{name} (Debian package {PACKAGES.get(name, name)})")
    assert path is not None
    return path


def chromium_path() -> str:
    """Debian's Chromium, or skip/fail."""
    for path in CHROMIUM_PATHS:
        if os.access(path, os.X_OK):
            return path
    return tool("chromium")


def to_pdf(sources: list[Path], folder: Path, timeout: float = 180) -> list[Path]:
    """Each of ``sources`` (workbooks) converted to PDF by one LibreOffice headless run, in ``folder``.

    One run converts them all (LibreOffice's start-up is most of a conversion's time). A
    private profile in ``folder`` keeps runs apart and a user's own profile untouched; every
    sheet of a workbook becomes pages of its one PDF, as LibreOffice prints the workbook.
    """
    soffice = tool("soffice")
    profile = folder / "lo-profile"
    command = [
        soffice,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        "--convert-to",
        "pdf",
        "--outdir",
        str(folder),
        *(str(source) for source in sources),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    targets = [folder / (source.stem + ".pdf") for source in sources]
    if done.returncode != 0 or not all(target.exists() for target in targets):
        raise AssertionError(f"LibreOffice did not convert {[s.name for s in sources]}: {done.stdout}{done.stderr}")
    return targets


def pdf_pages(pdf: Path) -> list[str]:
    """The text of each page of ``pdf``, as ``pdftotext -layout`` lays it out."""
    text = subprocess.run(
        [tool("pdftotext"), "-layout", "-enc", "UTF-8", str(pdf), "-"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    pages = text.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def pdf_page_sizes(pdf: Path) -> list[tuple[float, float]]:
    """Each page's width and height in points (``pdfinfo -f 1 -l N``)."""
    info = subprocess.run([tool("pdfinfo"), str(pdf)], capture_output=True, text=True, timeout=60, check=True).stdout
    count = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    sizes = subprocess.run(
        [tool("pdfinfo"), "-f", "1", "-l", str(count), str(pdf)], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    out = []
    for line in sizes.splitlines():
        if line.startswith("Page") and "size:" in line:
            numbers = line.split("size:")[1].split()
            out.append((float(numbers[0]), float(numbers[2])))
    return out


def browser() -> Iterator[Any]:
    """A headless Chromium through Playwright (a generator for a fixture), or skip/fail."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright for Python (pip install playwright; requirements-dev.txt has it)")
    executable = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()
