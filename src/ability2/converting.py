"""The cattrs converter for policy data, strict about types, and its error reporting.

Un/structuring rules live here, apart from the model (as attrs and cattrs recommend). The
converter forbids unknown keys and refuses the silent coercions a default converter makes
(``"no"`` becoming ``True``, ``1`` becoming ``"1"``), so that a wrong type in a policy file
is an error that names the key path.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

import attrs
import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, override

from ability2.rules.bounds import Bound

__all__ = ["RENAMES", "exact_number", "iter_problems", "make_converter", "parse_date", "parse_share"]

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
        raise ValueError(f"number out of range: {str(shown)[:40]!r} (at most {max_exponent} digits before the point)")
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
        raise TypeError(f"expected a number, got {value!r}")
    if isinstance(value, int):
        return _bounded(Fraction(value), value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise TypeError(f"expected a finite number, got {value!r}")
        return _decimal(Decimal(repr(value)), value)
    if isinstance(value, Fraction):
        return _bounded(value, value)
    if isinstance(value, Decimal):
        return _decimal(value, value)
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 2 * _bounds()[0] + 10:
            raise ValueError(f"number out of range: {text[:40]!r}… ({len(text)} characters)")
        try:
            number = Decimal(text)
        except (InvalidOperation, ValueError):
            number = None
        if number is not None:
            return _decimal(number, value)
    raise TypeError(f"expected a number, got {value!r}")


def _decimal(number: Decimal, shown: Any) -> Fraction:
    """A finite Decimal within the limits, exactly."""
    if not number.is_finite():
        raise TypeError(f"expected a finite number, got {shown!r}")
    digits = number.as_tuple().digits
    max_digits, max_exponent = _bounds()
    if number != 0 and (
        number.adjusted() >= max_exponent or len(digits) > max_digits or number.adjusted() < -max_digits
    ):
        raise ValueError(
            f"number out of range: {str(shown)[:40]!r} (at most {max_digits} significant digits, "
            f"{max_exponent} before the point)"
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
                raise ValueError(f"number out of range: {value[:40]!r}…")
            try:
                share = Fraction(value.strip())
            except (ValueError, ZeroDivisionError):
                raise TypeError(f"expected a share such as 30% or 0.3, got {value!r}") from None
        else:
            share = exact_number(value)
    else:
        share = exact_number(value)
    if share < 0:
        raise ValueError(f"a share cannot be negative, got {value!r}")
    if share > 1:
        raise ValueError(f"a share cannot exceed 1 (100%), got {value!r}")
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
    raise TypeError(f"expected an ISO date YYYY-MM-DD, got {value!r}")


def _strict_str(value: Any, _: type) -> str:
    if isinstance(value, str):
        return value
    raise TypeError(f"expected text, got {type(value).__name__} {value!r}")


def _strict_int(value: Any, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected a whole number, got {value!r}")
    return value


def _strict_bool(value: Any, _: type) -> bool:
    if isinstance(value, bool):
        return value
    raise TypeError(f"expected true or false, got {value!r}")


def _bound(value: Any, _: type) -> Bound:
    return Bound(_strict_str(value, str))


def make_converter() -> cattrs.Converter:
    """A converter that forbids unknown keys and coerces nothing silently."""
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


def iter_problems(exc: BaseException, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Flatten a cattrs validation error into ``(key path, message)`` pairs."""
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
        for key in sorted(exc.extra_fields):
            yield (*here, key), "unknown key (check its spelling; unknown keys are refused, not ignored)"
    elif isinstance(exc, KeyError):
        yield here, "required key is missing"
    else:
        yield here, str(exc) or type(exc).__name__
