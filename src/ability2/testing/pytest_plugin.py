"""The pytest plugin ability2 installs: YAML case files and registry fixtures.

Collected: files named ``test_*.yaml`` (or ``.yml``) with a top-level ``cases:`` key, one
test item per case. Fixtures: ``ability2_registry`` (the installed plugins, loaded once per
session) and ``make_registry`` (a registry with extra plugin objects or files, in-process).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ability2.errors import Ability2Error
from ability2.registry import Registry, load_registry

_SESSION_REGISTRY: dict[str, Registry] = {}


def _installed_registry() -> Registry:
    if "installed" not in _SESSION_REGISTRY:
        _SESSION_REGISTRY["installed"] = load_registry()
    return _SESSION_REGISTRY["installed"]


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.File | None:
    """Collect ``test_*.yaml`` case files."""
    if file_path.suffix in (".yaml", ".yml") and file_path.name.startswith("test_"):
        head = file_path.read_text(encoding="utf-8-sig")
        if "cases:" in head:
            return YamlCaseFile.from_parent(parent, path=file_path)
    return None


class YamlCaseFile(pytest.File):
    """A YAML case file: one item per case."""

    def collect(self) -> Iterator[pytest.Item]:
        """Read the cases; a malformed file is one failing item that says why."""
        from ability2.testing.cases import load_cases

        try:
            cases = load_cases(self.path)
        except Ability2Error as exc:
            yield BrokenCaseFile.from_parent(self, name="<file>", error=str(exc))
            return
        for case in cases:
            yield YamlCaseItem.from_parent(self, name=case.name, case=case)


class YamlCaseItem(pytest.Item):
    """One YAML case."""

    def __init__(self, *, case: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        """Run the case against the installed registry."""
        from ability2.testing.cases import run_case

        failures = run_case(self.case, _installed_registry())
        if failures:
            raise YamlCaseFailure(failures)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        """Show the case's failures plainly, without a Python traceback."""
        if isinstance(excinfo.value, YamlCaseFailure):
            return f"case {self.case.name!r} ({self.case.region} on {self.case.on}):\n  " + "\n  ".join(
                excinfo.value.failures
            )
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """Where the case is: file and line."""
        line = self.case.line - 1 if self.case.line else None
        return self.path, line, f"case: {self.name}"


class BrokenCaseFile(pytest.Item):
    """Stands for a case file that cannot be read: always fails, naming the problem."""

    def __init__(self, *, error: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error

    def runtest(self) -> None:
        """Fail with the reading error."""
        raise YamlCaseFailure([self.error])

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        """The reading error."""
        return self.error


class YamlCaseFailure(Exception):
    """A YAML case's expectations did not hold."""

    def __init__(self, failures: list[str]) -> None:
        super().__init__("\n".join(failures))
        self.failures = failures


@pytest.fixture(scope="session")
def ability2_registry() -> Registry:
    """The registry of the installed plugins (loaded once per test session)."""
    return _installed_registry()


@pytest.fixture
def make_registry() -> Callable[..., Registry]:
    """Build a registry in-process: ``make_registry(plugins=[obj], files=[path], entry_points=False)``.

    With ``entry_points=False`` (the default) it holds only the core and what is passed: no
    installed plugin and no plugin folder (``ABILITY2_PLUGINS_DIR``); with ``True``, those as
    :func:`ability2.load_registry` finds them.
    """

    def make(plugins: Iterable[object] = (), files: Iterable[Any] = (), entry_points: bool = False) -> Registry:
        return load_registry(
            plugins=plugins,
            installed=None if entry_points else False,
            plugins_dirs=None if entry_points else (),
            extra_files=files,
        )

    return make
