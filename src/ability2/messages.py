"""Messages in the reader's language: every error text ability2 shows, by code, in Chinese and English.

A :class:`Message` is a code and its parameters, not a sentence: the sentence is made when
the message is shown, in the language then in force, from the catalogue: the YAML files of
``ability2/locale/`` (data apart from logic, like gettext's catalogues, but keyed by a stable
code that a program can read; one file per area, each code in one file only). So one error raised deep in the reader can be shown
in Chinese on a county's command line, in English to an app developer who asked for it, and
as ``{"code": ..., "message": ...}`` to a program, without being raised twice.

The language:

- :func:`language` sets it for a block (a context variable: a server's requests and a
  thread's work do not share it); the command line sets it from ``--lang``, the HTTP
  service from ``Accept-Language``;
- otherwise :func:`ability2.display.set_display_language` sets it for the process (the same
  setting the Jupyter displays follow), Chinese by default.

Parameters are shown as they are, except: a :class:`Message` is shown in the same language;
a list or tuple is joined with ``、`` (Chinese) or ``, `` (English), each item shown the same
way; ``None`` is shown as ``-``. Write quotation marks into the template (“{name}” in Chinese,
'{name}' in English), never ``!r`` conversions, so that each language quotes its own way.
"""

from __future__ import annotations

import contextvars
import string
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import attrs

__all__ = [
    "Both",
    "Message",
    "add_messages",
    "catalogue",
    "current_language",
    "language",
    "msg",
    "plugin_messages",
    "process_language",
    "render",
    "set_process_language",
]

LANGUAGES = ("zh", "en")

_chosen: contextvars.ContextVar[str | None] = contextvars.ContextVar("ability2_message_language", default=None)
#: the process's language when no block chose one (set by :func:`ability2.display.set_display_language`)
_process_language = "zh"


def set_process_language(lang: str) -> None:
    """Make ``lang`` the language of every message and display not told otherwise (Chinese by default).

    :func:`ability2.display.set_display_language` calls it: displays and messages share one setting.
    """
    global _process_language
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGUAGES)}")
    _process_language = lang


def process_language() -> str:
    """The language set by :func:`set_process_language` (``zh`` unless changed)."""
    return _process_language


def current_language() -> str:
    """The language a message is shown in now: the innermost :func:`language` block, else the process's language."""
    chosen = _chosen.get()
    return chosen if chosen is not None else _process_language


@contextmanager
def language(lang: str) -> Iterator[None]:
    """Show every message inside the block in ``lang`` (``zh`` or ``en``)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGUAGES)}")
    token = _chosen.set(lang)
    try:
        yield
    finally:
        _chosen.reset(token)


def _frozen(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_frozen(item) for item in value)
    return value


@attrs.frozen
class Message:
    """A message by code, with its parameters; its text is made when shown (:meth:`text`).

    ``params`` are ``(name, value)`` pairs, in the order given; build one with :func:`msg`.
    """

    code: str
    params: tuple[tuple[str, Any], ...] = ()

    def text(self, lang: str | None = None) -> str:
        """The message in ``lang`` (default: :func:`current_language`)."""
        return render(self, lang)

    def __str__(self) -> str:
        return self.text()

    def param(self, name: str, default: Any = None) -> Any:
        """The value of parameter ``name`` (``default`` when not given)."""
        for key, value in self.params:
            if key == name:
                return value
        return default

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        """``{"code": ..., "message": ...}``: the code and the text in ``lang``."""
        return {"code": self.code, "message": self.text(lang)}

    def to_data(self) -> dict[str, Any]:
        """The message itself (code and parameters) as JSON-ready data, to be rebuilt by :meth:`from_data`.

        For carrying a message between processes (the partitioned path, Dask workers) before
        it is shown; parameters must be text, numbers, ``None``, lists or messages.
        """
        return {"code": self.code, "params": [[name, _to_data(value)] for name, value in self.params]}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Message:
        """The message :meth:`to_data` gave."""
        return cls(str(data["code"]), tuple((str(name), _from_data(value)) for name, value in data["params"]))


def _to_data(value: Any) -> Any:
    if isinstance(value, Message):
        return {"message": value.to_data()}
    if isinstance(value, Both):
        return {"both": [value.zh, value.en]}
    if isinstance(value, tuple | list):
        return {"list": [_to_data(item) for item in value]}
    return value


def _from_data(value: Any) -> Any:
    if isinstance(value, dict):
        if "message" in value:
            return Message.from_data(value["message"])
        if "both" in value:
            return Both(*value["both"])
        return tuple(_from_data(item) for item in value["list"])
    return value


@attrs.frozen
class Both:
    """A parameter that is a word of each language (a boundary word and its English gloss, say).

    Shown as ``zh`` in Chinese and ``en`` in English, so that data with its own translation
    (``不超过`` / ``at most``) keeps a sentence in one language.
    """

    zh: str
    en: str

    def __str__(self) -> str:
        return self.en if current_language() == "en" else self.zh


def msg(code: str, /, **params: Any) -> Message:
    """The message ``code`` with ``params``, e.g. ``msg("region.unknown", name="hebei/baoding/xushui")``."""
    return Message(code, tuple((name, _frozen(value)) for name, value in params.items()))


@cache
def catalogue() -> Mapping[str, Mapping[str, str]]:
    """Every message code with its ``zh`` and ``en`` templates (read once from ``ability2/locale/*.yaml``)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    found: dict[str, Mapping[str, str]] = {}
    folder = Path(__file__).with_name("locale")
    for part in sorted(folder.iterdir(), key=lambda p: p.name):
        if not part.name.endswith(".yaml"):
            continue
        # a safe loader; the catalogue is the package's own data (tests/test_messages.py checks it strictly)
        data = yaml.load(part.read_text(encoding="utf-8"), Loader=loader)
        for code, entry in (data or {}).items():
            found[str(code)] = {str(k): str(v) for k, v in entry.items()}
    return found


#: the plugins' own codes (:func:`add_messages`), apart from the core's catalogue
_PLUGIN_ENTRIES: dict[str, Mapping[str, str]] = {}
_CODE_SHAPE = "dotted lower case: area.what"


def plugin_messages() -> Mapping[str, Mapping[str, str]]:
    """The codes plugins added (:func:`add_messages`), with their ``zh`` and ``en`` templates."""
    return dict(_PLUGIN_ENTRIES)


def add_messages(entries: Mapping[str, Any]) -> list[tuple[str, Message]]:
    """Add a plugin's message codes (``code: {zh: ..., en: ...}``) to those :func:`render` knows.

    Returns the problems, each ``(code, message)``, and adds nothing when there is one: a
    code not dotted lower case, a code of the core's catalogue, a code another plugin gave
    other text, an entry without exactly ``zh`` and ``en`` text, or templates whose
    placeholders differ. The same entry added again is no problem (a registry loaded twice).
    The registry calls this with each plugin's :func:`~ability2.hookspecs.ability2_message_files`.
    """
    import re

    problems: list[tuple[str, Message]] = []
    core = catalogue()
    checked: dict[str, dict[str, str]] = {}
    for code, entry in entries.items():
        key = str(code)
        if not re.fullmatch(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+", key):
            problems.append((key, msg("messages.bad_code", code=key)))
            continue
        if key in core:
            problems.append((key, msg("messages.core_code", code=key)))
            continue
        if (
            not isinstance(entry, Mapping)
            or set(entry) != set(LANGUAGES)
            or not all(isinstance(entry[lang], str) for lang in LANGUAGES)
        ):
            problems.append((key, msg("messages.bad_entry", code=key)))
            continue
        try:
            fields = [_placeholders(entry[lang]) for lang in LANGUAGES]
        except ValueError:
            problems.append((key, msg("messages.bad_template", code=key)))
            continue
        if fields[0] != fields[1]:
            problems.append((key, msg("messages.placeholders_differ", code=key)))
            continue
        known = _PLUGIN_ENTRIES.get(key)
        if known is not None and dict(known) != dict(entry):
            problems.append((key, msg("messages.code_taken", code=key)))
            continue
        checked[key] = {lang: entry[lang] for lang in LANGUAGES}
    if not problems:
        _PLUGIN_ENTRIES.update(checked)
    return problems


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class _Formatter(string.Formatter):
    """``str.format`` restricted to plain names: no attribute or index access, no conversions."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> tuple[Any, str]:
        if not field_name.isidentifier():
            raise KeyError(field_name)
        return kwargs[field_name], field_name

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec:
            return format(value, format_spec)
        return _shown(value, self.lang)


def _shown(value: Any, lang: str) -> str:
    if isinstance(value, Message):
        return value.text(lang)
    if isinstance(value, Both):
        return value.en if lang == "en" else value.zh
    if isinstance(value, tuple | list):
        return ("、" if lang == "zh" else ", ").join(_shown(item, lang) for item in value)
    if value is None:
        return "-"
    return str(value)


def render(message: Message | str, lang: str | None = None) -> str:
    """The text of ``message`` in ``lang`` (default: :func:`current_language`); a plain string as it is.

    A plugin's own codes (:func:`add_messages`) are shown like the core's. A code missing from
    both is shown as the code and its parameters rather than failing: showing an error must
    never raise another.
    """
    if isinstance(message, str):
        return message
    chosen = lang or current_language()
    entry = catalogue().get(message.code) or _PLUGIN_ENTRIES.get(message.code)
    template = entry.get(chosen) if entry else None
    params = dict(message.params)
    if template is not None:
        try:
            return _Formatter(chosen).vformat(template, (), params)
        except (KeyError, ValueError, TypeError, IndexError):
            pass
    shown = ", ".join(f"{name}={_shown(value, chosen)}" for name, value in message.params)
    return f"{message.code}: {shown}" if shown else message.code
