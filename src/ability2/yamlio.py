"""Safe YAML reading that remembers where each value came from.

Policy files are data: they are read with PyYAML's safe loader only, so no code runs from
them. The reader also refuses duplicate keys (PyYAML keeps the last one silently, which
would drop a rule without a word) and keeps the node tree, so that an error found later
can name the line of the key it is about.

Every YAML file is untrusted input, so reading is bounded (:mod:`ability2.limits`): the text's size,
how deep values nest, and how many values the document holds once its aliases are expanded
(a "billion laughs" file of a few hundred bytes would otherwise expand to billions). Past a
limit the file is refused with its name, before anything walks the expanded data.

libyaml parses the text into PyYAML's node tree; one walk over that tree then builds the data
and measures it (values with aliases expanded, depth). Where the file is plain (mappings,
lists, implicit scalars, no duplicate key, within the limits) that is the whole work; anywhere
else the reference path runs (the limits' check, then PyYAML's constructor), and it is that
path which refuses the file, with its message and line.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from typing import Any

import yaml

from ability2.errors import PolicyFileError, Problem
from ability2.limits import current
from ability2.messages import Message, msg
from ability2.yamldoc import PathPart, YamlDocument, format_path

__all__ = ["PathPart", "YamlDocument", "format_path", "read_yaml"]


class _Strict(yaml.constructor.SafeConstructor):
    """A safe loader that rejects duplicate mapping keys and reads booleans as YAML 1.2 does.

    YAML 1.1 reads ``on``, ``off``, ``yes`` and ``no`` as booleans, so a key ``on:`` (a
    policy date) would become ``True``. Here only ``true`` and ``false`` are booleans.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call,unused-ignore]
            if isinstance(key, Hashable) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"{_DUPLICATE}{seen[key]} {key}",
                    key_node.start_mark,
                )
            if isinstance(key, Hashable):
                seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


#: how the strict constructor marks its duplicate-key error, read back by :func:`_malformed`
_DUPLICATE = "ability2-duplicate-key "


def _malformed(exc: yaml.MarkedYAMLError, said: str) -> Message:
    """The parser's complaint as a message in the reader's language.

    PyYAML's complaints are English sentences from a fixed set: the common ones are said
    here in both languages (:data:`_PARSER_SAYS`); any other is ``yaml.malformed``
    with the parser's column, never an English fragment inside a Chinese sentence.
    """
    problem = str(exc.problem or "")
    if problem.startswith(_DUPLICATE):
        first, _, key = problem[len(_DUPLICATE) :].partition(" ")
        return msg("yaml.duplicate_key", key=key, first=int(first))
    if problem.startswith(_INVALID_DATE):
        return msg("yaml.invalid_date", value=problem[len(_INVALID_DATE) :])
    mark = exc.problem_mark or exc.context_mark
    column = mark.column + 1 if mark is not None else None
    for start, said_there in _PARSER_SAYS:
        if problem.startswith(start):
            return msg("yaml.malformed", detail=said_there, column=column)
    return msg("yaml.malformed", detail=msg("yaml.parser.other"), column=column)


#: how the timestamp constructor marks an impossible date, read back by :func:`_malformed`
_INVALID_DATE = "ability2-invalid-date "

#: the beginnings of PyYAML's complaints, and the messages that say them
_PARSER_SAYS: tuple[tuple[str, Message], ...] = (
    ("mapping values are not allowed here", msg("yaml.parser.mapping_values")),
    ("could not find expected ':'", msg("yaml.parser.expected_colon")),
    ("expected <block end>", msg("yaml.parser.indentation")),
    ("invalid indentation or unclosed", msg("yaml.parser.indentation")),
    ("found character '\\t'", msg("yaml.parser.tab")),
    ("found character", msg("yaml.parser.bad_start")),
    ("found unexpected end of stream", msg("yaml.parser.unclosed_quote")),
    ("found undefined alias", msg("yaml.parser.undefined_alias")),
    ("found unhashable key", msg("yaml.parser.unhashable_key")),
    ("could not determine a constructor for the tag", msg("yaml.parser.tag")),
    ("expected a single document", msg("yaml.parser.many_documents")),
    ("but found another document", msg("yaml.parser.many_documents")),
    ("expected ',' or ']'", msg("yaml.parser.unclosed_flow")),
    ("expected ',' or '}'", msg("yaml.parser.unclosed_flow")),
    ("sequence entries are not allowed here", msg("yaml.parser.sequence_entries")),
    ("found unknown escape character", msg("yaml.parser.escape")),
)


class _StrictLoader(_Strict, yaml.SafeLoader):
    """The strict loader over PyYAML's pure-Python parser."""


#: the strict loader over libyaml's parser (ten times faster), where PyYAML was built with it
_FastStrictLoader: type[yaml.SafeLoader] | None = None
if getattr(yaml, "__with_libyaml__", False):

    class _CStrictLoader(_Strict, yaml.CSafeLoader):
        """The strict loader over libyaml's parser."""

    _FastStrictLoader = _CStrictLoader  # type: ignore[assignment,unused-ignore]


def _construct_timestamp(loader: _Strict, node: yaml.ScalarNode) -> object:
    """A date or time; an impossible one (2021-02-30) is an error on its line, not a crash."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)  # type: ignore[no-untyped-call,unused-ignore]
    except (ValueError, OverflowError):
        raise yaml.constructor.ConstructorError(None, None, f"{_INVALID_DATE}{node.value}", node.start_mark) from None


_LOADERS: tuple[Any, ...] = (_StrictLoader,) if _FastStrictLoader is None else (_StrictLoader, _FastStrictLoader)
for _loader in _LOADERS:
    _loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
    _loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    _loader.add_implicit_resolver(
        "tag:yaml.org,2002:bool",
        re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
        list("tTfF"),
    )


def _check_size(root: yaml.Node, name: str) -> None:
    """Refuse a node graph nested too deeply or too large once its aliases are expanded."""
    limits = current()
    budget = limits.max_yaml_values
    seen = 0
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        seen += 1
        if seen > budget:
            raise PolicyFileError(
                [
                    Problem(
                        name,
                        "",
                        msg("yaml.too_many_values", count=budget, limit="max_yaml_values"),
                        node.start_mark.line + 1,
                    )
                ]
            )
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            if depth > limits.max_yaml_depth:
                raise PolicyFileError(
                    [
                        Problem(
                            name,
                            "",
                            msg("yaml.too_deep", depth=limits.max_yaml_depth, limit="max_yaml_depth"),
                            node.start_mark.line + 1,
                        )
                    ]
                )
            children = (
                [child for pair in node.value for child in pair]
                if isinstance(node, yaml.MappingNode)
                else list(node.value)
            )
            stack.extend((child, depth + 1) for child in children)


_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
#: the implicit scalar tags built here by the loader's own constructors (merge keys ``<<`` and the rest go the reference path)
_SCALAR_TAGS = tuple(f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "timestamp"))


class _NotPlain(Exception):
    """The node graph is not the plain case :func:`_construct` builds: the reference path decides."""


def _construct(loader: Any, root: yaml.Node, max_depth: int, max_values: int) -> Any:
    """``root``'s data, as ``_check_size`` then ``loader.construct_document`` give it when both succeed.

    One walk over the node graph builds the data and measures it: values once aliases are
    expanded (aliased nodes are built once and shared, as the loader shares them) and the
    depth of the deepest mapping or list. It raises where the reference path might say
    anything but "here is the data": a tag other than plain maps, lists and the implicit
    scalars, a key that is not a scalar, a duplicate key, any constructor error, the limits
    passed. :func:`read_yaml` then runs the reference path, which reports that exactly.
    """
    constructors = {tag: loader.yaml_constructors[tag] for tag in _SCALAR_TAGS}
    built: dict[int, tuple[Any, int, int]] = {}  # id(node) -> (value, values, depth of nested collections)

    def walk(node: yaml.Node, depth: int) -> tuple[Any, int, int]:
        kind = node.__class__
        if kind is yaml.ScalarNode:
            if node.tag == _STR:
                return node.value, 1, 0
            constructor = constructors.get(node.tag)
            if constructor is None:
                raise _NotPlain
            return constructor(loader, node), 1, 0
        done = built.get(id(node))
        if done is not None:
            if depth + done[2] - 1 > max_depth:
                raise _NotPlain
            return done
        if depth > max_depth:
            raise _NotPlain
        values, height = 1, 1
        data: Any
        if kind is yaml.MappingNode and node.tag == _MAP:
            data = {}
            keys: list[Any] = []
            for key_node, _ in node.value:  # every key first, as the strict loader checks duplicates
                if key_node.__class__ is not yaml.ScalarNode:
                    raise _NotPlain
                key = walk(key_node, depth + 1)[0]
                if key in data:
                    raise _NotPlain
                data[key] = None
                keys.append(key)
            values += len(keys)
            for key, (_, value_node) in zip(keys, node.value, strict=True):
                value, count, inner = walk(value_node, depth + 1)
                data[key] = value
                values += count
                height = max(height, inner + 1)
        elif kind is yaml.SequenceNode and node.tag == _SEQ:
            data = []
            for item_node in node.value:
                value, count, inner = walk(item_node, depth + 1)
                data.append(value)
                values += count
                height = max(height, inner + 1)
        else:
            raise _NotPlain
        built[id(node)] = done = (data, values, height)
        return done

    data, values, _ = walk(root, 1)
    if values > max_values:
        raise _NotPlain
    return data


def read_yaml(text: str, name: str) -> YamlDocument:
    """Parse ``text`` (the content of file ``name``) with the safe loader, within the limits in force.

    Raises :class:`PolicyFileError` naming the file and line when the YAML is malformed,
    repeats a key, holds a character YAML does not allow (NUL, form feed ...), or exceeds a
    limit (size, nesting, values once aliases are expanded, a number too long to read).
    """
    limits = current()
    if len(text) > limits.max_yaml_chars:
        raise PolicyFileError(
            [
                Problem(
                    name,
                    "",
                    msg("yaml.too_long", count=len(text), most=limits.max_yaml_chars, limit="max_yaml_chars"),
                )
            ]
        )
    loader: Any = None
    try:
        loader = (_FastStrictLoader or _StrictLoader)(text)
        root = loader.get_single_node()
        data = None
        if root is not None:
            try:
                data = _construct(loader, root, limits.max_yaml_depth, limits.max_yaml_values)
            except Exception:  # not the plain case, an error, or a limit passed: the reference path decides
                _check_size(root, name)
                data = loader.construct_document(root)  # type: ignore[no-untyped-call,unused-ignore]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        said = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        if "maximum nesting depth" in said:  # libyaml's own bound, past ours
            raise PolicyFileError(
                [Problem(name, "", msg("yaml.too_deep_to_read", depth=limits.max_yaml_depth), line)]
            ) from None
        raise PolicyFileError([Problem(name, "", _malformed(exc, said), line)]) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        character = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        raise PolicyFileError([Problem(name, "", msg("yaml.bad_character", character=character), line)]) from None
    except yaml.YAMLError:
        raise PolicyFileError(
            [Problem(name, "", msg("yaml.malformed", detail=msg("yaml.parser.other"), column=None))]
        ) from None
    except RecursionError:
        raise PolicyFileError(
            [
                Problem(
                    name,
                    "",
                    msg("yaml.too_deep_to_read", depth=limits.max_yaml_depth),
                )
            ]
        ) from None
    except ValueError:  # a number longer than Python reads (int max str digits)
        raise PolicyFileError(
            [Problem(name, "", msg("yaml.malformed", detail=msg("yaml.number_too_long"), column=None))]
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    return YamlDocument(name, data, root)
