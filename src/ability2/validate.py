"""``ability2 validate``: check a policy file or a plugin folder as the registry would.

A file is checked together with the installed layers, so that a county's file may cite its
province's documents and name its parent; installed layers of the same regions are set
aside, so that checking an installed plugin's own folder, or a copy of one of its files
being edited elsewhere, checks the files given in their place.
"""

from __future__ import annotations

from pathlib import Path

import attrs

from ability2.errors import Ability2Error, PolicyFileError, Problem
from ability2.loading import ParsedLayer, SourceLike, parse_layer, read_source_text
from ability2.messages import Message, msg, render
from ability2.yamlio import read_yaml

__all__ = ["ValidationReport", "validate_path"]


@attrs.frozen
class ValidationReport:
    """What was checked: the policy files and regions, the files skipped (with why), and warnings.

    A warning is something that loads but is almost certainly not what the author meant,
    such as the region name ``new-plugin`` writes as a placeholder.
    """

    policy_files: tuple[str, ...]
    regions: tuple[str, ...]
    #: each file skipped, with why (a message, shown in the reader's language)
    skipped: tuple[tuple[str, Message | str], ...]
    warnings: tuple[Problem, ...] = ()

    @property
    def lines(self) -> list[str]:
        """A readable summary, one line per file, in the current language (:meth:`text_lines`)."""
        return self.text_lines()

    def text_lines(self, lang: str | None = None) -> list[str]:
        """A readable summary, one line per file, in ``lang`` (default: the current language)."""
        out = [render(msg("validate.ok", file=name), lang) for name in self.policy_files]
        out += [render(msg("validate.skipped", file=name, why=why), lang) for name, why in self.skipped]
        out += [render(msg("validate.warning", problem=problem.text(lang)), lang) for problem in self.warnings]
        regions = self.regions or (msg("validate.no_regions"),)
        out.append(render(msg("validate.summary", count=len(self.policy_files), regions=regions), lang))
        return out


def _kind_of(path: Path) -> str | None:
    text, name = read_source_text(path)
    data = read_yaml(text, name).data
    if isinstance(data, dict):
        if "region" in data:
            return "policy"
        if "sheets" in data:
            return "sheets"
        if "cases" in data:
            return "cases"
    return None


def _plugin_modules(path: Path) -> list[object]:
    """Import the plugin packages under ``path`` (a package folder holding ``policies/``).

    A plugin may add rule kinds in Python (``ability2_rule_kinds``, ``ability2_rule_specs``);
    its policy files can only be checked with those kinds known. Importing runs the
    package's code, so it happens only when asked (``validate --import``, ``import_plugins``).
    """
    import importlib
    import sys

    modules: list[object] = []
    if path.is_dir():
        candidates = [p.parent for p in path.rglob("policies") if (p.parent / "__init__.py").is_file()]
        if path.name == "policies" and (path.parent / "__init__.py").is_file():
            candidates.append(path.parent)
    else:  # a single file: only the package it sits in, if it is a plugin's policies/ file
        package = path.resolve().parent.parent
        candidates = (
            [package] if path.resolve().parent.name == "policies" and (package / "__init__.py").is_file() else []
        )
    for package in dict.fromkeys(candidates):
        if ".venv" in package.parts:
            continue
        sys.path.insert(0, str(package.parent))
        try:
            modules.append(importlib.import_module(package.name))
        except Exception as exc:
            raise PolicyFileError(
                [
                    Problem(
                        str(package / "__init__.py"),
                        "",
                        msg("validate.import_failed", error=type(exc).__name__, detail=str(exc)),
                    )
                ]
            ) from None
        finally:
            sys.path.remove(str(package.parent))
    return modules


def _check_entry_point(path: Path) -> None:
    """A plugin folder's pyproject.toml must register the plugin under the ``ability2`` group."""
    import tomllib

    project_file = path / "pyproject.toml" if path.is_dir() else None
    if project_file is None or not project_file.is_file():
        return
    try:
        data = tomllib.loads(project_file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PolicyFileError([Problem(str(project_file), "", msg("validate.bad_toml", detail=str(exc)))]) from None
    points = data.get("project", {}).get("entry-points", {}).get("ability2")
    if not points:
        raise PolicyFileError(
            [
                Problem(
                    str(project_file),
                    "project.entry-points.ability2",
                    msg("validate.entry_point_missing"),
                )
            ]
        )


def validate_path(path: Path, *, import_plugins: bool = False) -> ValidationReport:
    """Check ``path`` (a file or a folder); raises :class:`PolicyFileError` listing every problem.

    Policy files are data: by default nothing under ``path`` is imported or run, and the rule
    kinds known are those of the installed plugins. ``import_plugins=True`` also imports the
    plugin packages found under ``path`` (their own rule kinds become known): their code runs.
    """
    from ability2.registry import assemble, files_in, load_registry

    if not path.exists():
        raise PolicyFileError([Problem(str(path), "", msg("validate.no_such_path"))])
    if not path.is_file() and not path.is_dir():
        raise PolicyFileError([Problem(str(path), "", msg("validate.not_a_file"))])
    candidates = files_in(path)
    policy_files: list[Path] = []
    skipped: list[tuple[str, Message | str]] = []
    problems: list[Problem] = []
    for candidate in candidates:
        try:
            kind = _kind_of(candidate)
        except PolicyFileError as exc:
            problems.extend(exc.problems)
            continue
        if kind == "policy":
            policy_files.append(candidate)
        elif kind == "cases":
            skipped.append((str(candidate), msg("validate.skip_cases")))
        elif kind == "sheets":
            skipped.append((str(candidate), msg("validate.skip_sheets")))
        else:
            skipped.append((str(candidate), msg("validate.skip_other")))
    if problems:
        raise PolicyFileError(problems)
    if path.is_file() and not policy_files:
        raise PolicyFileError([Problem(str(path), "", msg("validate.not_policy_file"))])
    if not policy_files:
        raise PolicyFileError([Problem(str(path), "", msg("validate.no_policy_file"))])
    parsed = [parse_layer(p) for p in policy_files]
    parsed_regions = {layer.region_id for layer in parsed}
    modules = _plugin_modules(path) if import_plugins else []
    try:  # strict: a file being validated must not be left out quietly
        installed = load_registry(plugins=modules, strict=True)
    except Ability2Error:
        installed = load_registry(installed=False, plugins_dirs=(), plugins=modules, strict=True)
    sources: list[tuple[str, SourceLike]] = []
    checked = {str(p.resolve()) for p in policy_files}
    # the installed files of the regions being checked are set aside: the files checked stand in their place,
    # wherever they are (the installed file itself, or a copy being edited elsewhere)
    replaced = {str(layer.file): layer for layer in installed.layers() if layer.region.id in parsed_regions}
    standing_in: list[Problem] = []
    for file, layer in replaced.items():
        try:
            same = str(Path(file).resolve()) in checked
        except OSError:
            same = False
        if not same:  # a copy elsewhere (or a new file) for an installed region: say so, once it is checked
            mine = next(p for p in parsed if p.region_id == layer.region.id)
            standing_in.append(
                mine.yaml.problem(
                    ("region", "id"),
                    msg("validate.stands_in", region=layer.region.id, plugin=layer.plugin, file=str(file)),
                )
            )
    for plugin, source in installed.sources():
        try:
            location = str(Path(str(source)).resolve())
        except OSError:
            location = str(source)
        if location in checked or str(source) in replaced:
            continue  # the installed copy of a region being checked: check the file on disk instead
        sources.append((plugin, source))
    sources.extend(("validate", p) for p in policy_files)
    assemble(sources=sources, framework=installed.framework, catalogue=installed.catalogue)
    _check_entry_point(path)
    warnings = tuple(standing_in) + tuple(
        problem for layer in parsed if (problem := _placeholder_name(layer)) is not None
    )
    return ValidationReport(
        tuple(str(p) for p in policy_files), tuple(sorted(parsed_regions)), tuple(skipped), warnings
    )


def _placeholder_name(layer: ParsedLayer) -> Problem | None:
    """A warning when the region's name is still the pinyin placeholder ``new-plugin`` writes.

    ``new-plugin qufu`` writes ``name: qufu``: the id's last segment. The name is the
    official Chinese name (曲阜市) that every table, report and message shows.
    """
    region = layer.raw.region
    if region.name.strip() != region.id.rsplit("/", 1)[-1]:
        return None
    return layer.yaml.problem(
        ("region", "name"),
        msg("validate.placeholder_name", name=region.name, example="曲阜市"),
    )
