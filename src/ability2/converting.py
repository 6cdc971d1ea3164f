"""The cattrs converter for policy data, strict about types, and its error reporting.

Un/structuring rules live here, apart from the model (as attrs and cattrs recommend). The
converter forbids unknown keys and refuses the silent coercions a default converter makes
(``"no"`` becoming ``True``, ``1`` becoming ``"1"``), so that a wrong type in a policy file
is an error that names the key path.

Loading structures through a :class:`Structurer`: well-formed data (every policy file that
loads) is built directly, by plain code, into what the converter would build; anything else
goes to the converter itself, which builds it or reports every problem. cattrs is imported,
and its structuring functions generated, only then, which keeps them out of a command's
start-up.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from ability2.messages import Message, msg
from ability2.rules.bounds import Bound

if TYPE_CHECKING:
    import cattrs

__all__ = [
    "RENAMES",
    "Structurer",
    "did_you_mean",
    "exact_number",
    "iter_problems",
    "kind_of",
    "make_converter",
    "parse_date",
    "parse_share",
    "quoted",
    "said",
    "shown_value",
]

T = TypeVar("T")

#: attribute names that differ from their YAML key (``from`` is a Python keyword)
RENAMES = {"from_": "from", "pass_": "pass"}

_PERCENT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*%\s*$")


def _bounds() -> tuple[int, int]:
    """Significant digits and digits before the point a number may have (:mod:`ability2.limits`)."""
    from ability2.limits import current

    limits = current()
    return limits.max_number_digits, limits.max_number_exponent


def _bounded(number: Fraction, shown: Any) -> Fraction:
    _, max_exponent = _bounds()
    if abs(number) >= 10**max_exponent:
        raise ValueError(msg("value.number_too_large", value=str(shown)[:40], digits=max_exponent))
    return number


def exact_number(value: Any) -> Fraction:
    """Read a number exactly: ``0.3`` is 3/10, not the float nearest to it.

    Accepts ints, floats (through their shortest decimal repr), and decimal strings.
    Booleans are refused, and so are numbers past the limits ``max_number_digits``
    significant digits or ``max_number_exponent`` digits before the point
    (:mod:`ability2.limits`): an 11-character ``1e99999999`` would otherwise build a number
    of a hundred million digits.
    """
    if isinstance(value, bool):
        raise TypeError(msg("value.expected_number", value=shown_value(value)))
    if isinstance(value, int):
        return _bounded(Fraction(value), value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise TypeError(msg("value.expected_finite", value=shown_value(value)))
        return _decimal(Decimal(repr(value)), value)
    if isinstance(value, Fraction):
        return _bounded(value, value)
    if isinstance(value, Decimal):
        return _decimal(value, value)
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 2 * _bounds()[0] + 10:
            raise ValueError(msg("value.number_too_long", value=text[:40], length=len(text)))
        try:
            number = Decimal(text)
        except (InvalidOperation, ValueError):
            number = None
        if number is not None:
            return _decimal(number, value)
    raise TypeError(msg("value.expected_number", value=shown_value(value)))


def _decimal(number: Decimal, shown: Any) -> Fraction:
    """A finite Decimal within the limits, exactly."""
    if not number.is_finite():
        raise TypeError(msg("value.expected_finite", value=shown_value(shown)))
    digits = number.as_tuple().digits
    max_digits, max_exponent = _bounds()
    if number != 0 and (
        number.adjusted() >= max_exponent or len(digits) > max_digits or number.adjusted() < -max_digits
    ):
        raise ValueError(
            msg("value.number_out_of_range", value=str(shown)[:40], significant=max_digits, digits=max_exponent)
        )
    return Fraction(number)


def parse_share(value: Any) -> Fraction:
    """Read a share: ``30%``, ``"30%"``, ``0.3`` or ``3/10``; it must lie between 0 and 1."""
    if isinstance(value, str):
        match = _PERCENT.match(value)
        if match:
            share = exact_number(match.group(1)) / 100
        elif "/" in value:
            if len(value) > 2 * _bounds()[0] + 10:
                raise ValueError(msg("value.number_too_long", value=value[:40], length=len(value)))
            try:
                share = Fraction(value.strip())
            except (ValueError, ZeroDivisionError):
                raise TypeError(msg("value.expected_share", value=shown_value(value))) from None
        else:
            share = exact_number(value)
    else:
        share = exact_number(value)
    if share < 0:
        raise ValueError(msg("value.share_negative", value=shown_value(value)))
    if share > 1:
        raise ValueError(msg("value.share_above_one", value=shown_value(value)))
    return share


def parse_date(value: Any) -> dt.date:
    """Read an ISO date (``2022-04-07``); YAML may already have made it a date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise TypeError(msg("value.expected_date", value=shown_value(value)))


def _strict_str(value: Any, _: type) -> str:
    if isinstance(value, str):
        return value
    raise TypeError(msg("value.expected_text", value=shown_value(value), kind=kind_of(value)))


def _strict_int(value: Any, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(msg("value.expected_whole", value=shown_value(value)))
    return value


def _strict_bool(value: Any, _: type) -> bool:
    if isinstance(value, bool):
        return value
    raise TypeError(msg("value.expected_flag", value=shown_value(value)))


def _bound(value: Any, _: type) -> Bound:
    return Bound(_strict_str(value, str))


def make_converter() -> cattrs.Converter:
    """A converter that forbids unknown keys and coerces nothing silently."""
    import cattrs
    from cattrs.gen import make_dict_structure_fn, override

    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)

    def attrs_with_renames(cls: type) -> Any:
        overrides = {
            field.name: override(rename=RENAMES[field.name]) for field in attrs.fields(cls) if field.name in RENAMES
        }
        return make_dict_structure_fn(cls, converter, _cattrs_forbid_extra_keys=True, **overrides)  # type: ignore[arg-type]

    converter.register_structure_hook_factory(attrs.has, attrs_with_renames)
    converter.register_structure_hook(str, _strict_str)
    converter.register_structure_hook(int, _strict_int)
    converter.register_structure_hook(bool, _strict_bool)
    converter.register_structure_hook(dt.date, lambda v, _: parse_date(v))
    converter.register_structure_hook(Fraction, lambda v, _: parse_share(v))
    converter.register_structure_hook(Bound, _bound)
    converter.register_unstructure_hook(dt.date, lambda d: d.isoformat())
    converter.register_unstructure_hook(Fraction, lambda f: f"{float(f) * 100:g}%")
    converter.register_unstructure_hook(Bound, str)
    return converter


def did_you_mean(word: str, candidates: Iterable[str]) -> Message | str:
    """A clause naming the candidates close to ``word`` (:func:`difflib.get_close_matches`), else ``""``.

    The clause is a :class:`~ability2.messages.Message` (``policy.did_you_mean``): each
    candidate is shown as it is spelt (a key is a name, not a word to translate), quoted the
    reader's way; it is meant as the ``hint`` of a message that ends with it.
    """
    import difflib

    close = difflib.get_close_matches(word, list(candidates), n=3, cutoff=0.6)
    if not close:
        return ""
    return msg("policy.did_you_mean", names=tuple(quoted(c) for c in close))


def quoted(text: object) -> Message:
    """``text`` as it is, in the reader's quotation marks (“x” in Chinese, 'x' in English)."""
    return msg("policy.quoted", text=str(text))


def shown_value(value: Any, limit: int = 60) -> str:
    """A value from a file as a message shows it: as YAML writes it (``null``, ``true``), at most ``limit`` characters."""
    if value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, dt.date):
        text = value.isoformat()
    elif isinstance(value, str):
        text = value
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def kind_of(value: Any) -> Message:
    """What kind of YAML value ``value`` is, as a message (``value.kind.*``): a list, a mapping, a number ..."""
    if value is None:
        return msg("value.kind.null")
    if isinstance(value, bool):
        return msg("value.kind.flag")
    if isinstance(value, int | float | Decimal | Fraction):
        return msg("value.kind.number")
    if isinstance(value, str):
        return msg("value.kind.text")
    if isinstance(value, dt.date):
        return msg("value.kind.date")
    if isinstance(value, list | tuple):
        return msg("value.kind.list")
    if isinstance(value, dict):
        return msg("value.kind.mapping")
    return msg("value.kind.other")


def said(exc: BaseException) -> Message | str:
    """What an exception says: its :class:`~ability2.messages.Message` when raised with one, else its text."""
    first = exc.args[0] if exc.args else None
    if isinstance(first, Message):
        return first
    if isinstance(exc, KeyError) and isinstance(first, str):
        return first  # a KeyError's str() would quote its message
    return str(exc) or type(exc).__name__


def _known_keys(cls: type) -> list[str]:
    """The keys a file may use for ``cls``: its attrs fields, as the files spell them."""
    if not attrs.has(cls):
        return []
    return [RENAMES.get(field.name, field.name) for field in attrs.fields(cls) if field.init]


def iter_problems(
    exc: BaseException, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], Message | str]]:
    """Flatten a cattrs validation error into ``(key path, message)`` pairs."""
    from cattrs.errors import (
        AttributeValidationNote,
        ClassValidationError,
        ForbiddenExtraKeysError,
        IterableValidationError,
        IterableValidationNote,
    )

    here = path
    for note in getattr(exc, "__notes__", ()):
        if isinstance(note, AttributeValidationNote):
            here = (*path, RENAMES.get(note.name, note.name))
        elif isinstance(note, IterableValidationNote):
            here = (*path, note.index)
    if isinstance(exc, (ClassValidationError, IterableValidationError)):
        for sub in exc.exceptions:
            yield from iter_problems(sub, here)
    elif isinstance(exc, ForbiddenExtraKeysError):
        known = _known_keys(exc.cl)
        for key in sorted(exc.extra_fields):
            yield (*here, key), msg("policy.unknown_key", hint=did_you_mean(str(key), known))
    elif isinstance(exc, KeyError):
        yield here, msg("policy.missing_key")
    else:
        first = exc.args[0] if exc.args else None
        # the converter's own complaints about a value's shape ('NoneType' object has no attribute 'items')
        # are Python's words, not the reader's: say what is wrong in the reader's language
        yield here, first if isinstance(first, Message) else msg("value.wrong_shape")


# --------------------------------------------------------------------------------------
# structuring well-formed data without the converter
# --------------------------------------------------------------------------------------


class _NotHere(Exception):
    """The data or the type is not one :class:`Structurer` builds directly: the converter decides."""


#: the converter's hooks for plain types (see make_converter), as one-argument functions
_PLAIN: dict[Any, Callable[[Any], Any]] = {
    str: lambda value: _strict_str(value, str),
    int: lambda value: _strict_int(value, int),
    bool: lambda value: _strict_bool(value, bool),
    dt.date: parse_date,
    Fraction: parse_share,
    Bound: lambda value: _bound(value, Bound),
    Any: lambda value: value,
}


class Structurer:
    """Structure data into attrs classes exactly as :func:`make_converter`'s converter does.

    Data the converter would accept as it is (plain dicts with known keys, lists, the exact
    types each field names) is built here by plain code; any other data, any error and any
    type this class does not know (a union of two types, a field with an attrs converter ...)
    goes to the converter (:attr:`converter`, made on first use), whose result or
    ``ClassValidationError`` is returned or raised unchanged. The fast builder only ever
    returns what the converter would return for the same data.
    """

    def __init__(self) -> None:
        self._converter: cattrs.Converter | None = None
        self._plans: dict[Any, Callable[[Any], Any] | None] = {}

    @property
    def converter(self) -> cattrs.Converter:
        """The strict cattrs converter (:func:`make_converter`), made on first use."""
        if self._converter is None:
            self._converter = make_converter()
        return self._converter

    def structure(self, data: Any, cls: type[T]) -> T:
        """``data`` as ``cls``; raises what ``converter.structure(data, cls)`` raises."""
        plan = self._plan(cls)
        if plan is not None:
            try:
                result: T = plan(data)
                return result
            except Exception:  # not well-formed (or not plain): the converter builds it or says why
                pass
        return self.converter.structure(data, cls)

    def _plan(self, tp: Any) -> Callable[[Any], Any] | None:
        """A one-argument function building ``tp`` from well-formed data, or ``None`` for a type left to cattrs."""
        try:
            return self._plans[tp]
        except KeyError:
            pass
        except TypeError:  # an unhashable annotation
            return None
        plan: Callable[[Any], Any] | None
        try:
            plan = self._make_plan(tp)
        except _NotHere:
            plan = None
        self._plans[tp] = plan
        return plan

    def _inner(self, tp: Any) -> Callable[[Any], Any]:
        plan = self._plan(tp)
        if plan is None:
            raise _NotHere
        return plan

    def _make_plan(self, tp: Any) -> Callable[[Any], Any]:
        plain = _PLAIN.get(tp)
        if plain is not None:
            return plain
        if isinstance(tp, type) and attrs.has(tp):
            return self._class_plan(tp)
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin in (typing.Union, types.UnionType) and len(args) == 2 and type(None) in args:
            inner = self._inner(args[0] if args[1] is type(None) else args[1])
            return lambda value: None if value is None else inner(value)
        if origin is list and len(args) == 1:
            item = self._inner(args[0])
            return lambda value: [item(element) for element in _exactly(value, list)]
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            item = self._inner(args[0])
            return lambda value: tuple(item(element) for element in _exactly(value, list))
        if origin is dict and len(args) == 2 and args[0] is str:
            entry = self._inner(args[1])
            return lambda value: {
                _strict_str(key, str): entry(element) for key, element in _exactly(value, dict).items()
            }
        raise _NotHere

    def _class_plan(self, cls: type) -> Callable[[Any], Any]:
        """An attrs class: known keys only, required ones present, each field by its type, then ``cls(**fields)``."""
        if (
            getattr(cls, "__parameters__", ())
            or hasattr(cls, "__attrs_pre_init__")
            or hasattr(cls, "__attrs_post_init__")
        ):
            raise _NotHere
        fields: list[tuple[str, str, Callable[[Any], Any], bool]] = []
        ready = False

        def build(value: Any) -> Any:
            if not ready or type(value) is not dict or not known.issuperset(value):
                raise _NotHere
            arguments = {}
            for key, alias, plan, required in fields:
                if key in value:
                    arguments[alias] = plan(value[key])
                elif required:
                    raise _NotHere
            return cls(**arguments)

        known: frozenset[str] = frozenset()
        self._plans[cls] = build  # a class that contains itself (an item's alternatives) finds its own plan
        try:
            if any(isinstance(field.type, str) for field in attrs.fields(cls)):
                attrs.resolve_types(cls)  # as cattrs does first
            for field in attrs.fields(cls):
                if not field.init or field.converter is not None or field.alias != field.name or field.type is None:
                    raise _NotHere
                fields.append(
                    (
                        RENAMES.get(field.name, field.name),
                        field.alias,
                        self._inner(field.type),
                        field.default is attrs.NOTHING,
                    )
                )
        except Exception:
            self._plans.pop(cls, None)
            raise _NotHere from None
        known = frozenset(key for key, *_ in fields)
        ready = True
        return build


def _exactly(value: Any, kind: type[T]) -> T:
    if type(value) is not kind:
        raise _NotHere
    return value  # type: ignore[no-any-return, unused-ignore]
