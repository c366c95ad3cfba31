"""Read YAML keeping the line and column of every mapping key and value."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from metricflow_lite.errors import FULL_WIDTH, Location, MflError

# Plain python values are returned; mappings and sequences carry the locations of their parts.


class YMap(dict[str, Any]):
    """A YAML mapping: a dict that knows where it, each key and each value are."""

    loc: Location
    key_locs: dict[str, Location]
    value_locs: dict[str, Location]

    def key_loc(self, key: str) -> Location:
        return self.key_locs.get(key, self.loc)

    def value_loc(self, key: str) -> Location:
        return self.value_locs.get(key, self.key_loc(key))


class YSeq(list[Any]):
    """A YAML sequence: a list that knows where it and each item are."""

    loc: Location
    item_locs: list[Location]

    def item_loc(self, index: int) -> Location:
        return self.item_locs[index] if index < len(self.item_locs) else self.loc


def node_location(node: yaml.Node, file: str) -> Location:
    """Where a node starts; for a quoted scalar, where its text starts (after the quote)."""
    mark = node.start_mark
    line, col = mark.line + 1, mark.column + 1
    if isinstance(node, yaml.ScalarNode):
        if node.style in ("'", '"'):
            col += 1
        elif node.style in ("|", ">"):
            # Block scalar text starts on the next line, indented under its key.
            return Location(file, line + 1, col + 2)
    return Location(
        file, line, col, len(str(node.value)) if isinstance(node, yaml.ScalarNode) else 0
    )


# libyaml's parser when PyYAML was built with it: the pure-Python one takes most of the time of
# reading a project (a query re-reads every metrics file); both give the same nodes and marks.
try:
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


class _Loader(_SafeLoader):
    """SafeLoader without YAML 1.1 surprises: `on`/`yes`/`no` stay strings."""


# A copy: editing the inherited dict in place would change yaml.SafeLoader for every caller.
_Loader.yaml_implicit_resolvers = {
    first: list(resolvers) for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _first, _resolvers in list(_Loader.yaml_implicit_resolvers.items()):
    _Loader.yaml_implicit_resolvers[_first] = [
        (tag, regexp) for tag, regexp in _resolvers if tag != "tag:yaml.org,2002:bool"
    ]
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


# Bounds on what one YAML file may expand to: an alias repeats its anchor's whole subtree, so a
# few lines of nested aliases ("billion laughs") would otherwise take every byte of memory.
MAX_YAML_DEPTH = 100  # mappings and lists inside each other
MAX_YAML_EXPANSION = 10  # values read per character of the file, aliases expanded (plus a margin)


@dataclass(slots=True)
class _Budget:
    """How many more values a file may expand to, and where it is."""

    file: str
    left: int


def _convert(
    node: yaml.Node,
    file: str,
    constructor: yaml.constructor.SafeConstructor,
    budget: _Budget,
    depth: int = 0,
) -> Any:
    budget.left -= 1
    if budget.left < 0:
        raise MflError(
            "E704",
            "YAML aliases expand to too many values (a recursive or exponential alias:"
            f" more than {MAX_YAML_EXPANSION} values per character of the file)",
            node_location(node, file),
            "write the values out, or use each anchor (&name) in few places (*name)",
        )
    if depth > MAX_YAML_DEPTH:
        raise MflError(
            "E704",
            f"YAML nests mappings and lists more than {MAX_YAML_DEPTH} deep",
            node_location(node, file),
            "flatten the structure; a recursive alias (an anchor used inside itself) nests forever",
        )
    if isinstance(node, yaml.MappingNode):
        result = YMap()
        result.loc = node_location(node, file)
        result.key_locs = {}
        result.value_locs = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise MflError(
                    "E001",
                    "YAML syntax error: a key must be plain text, not a mapping or a list",
                    node_location(key_node, file),
                    "write 'name: value'; quote a key that starts with '[', '{' or '?'",
                )
            key = constructor.construct_object(key_node, deep=True)
            key_text = str(key)
            if key_text in result:
                raise MflError(
                    "E002",
                    f"duplicate key '{key_text}'",
                    node_location(key_node, file),
                    "each key may appear once in a mapping; remove or rename one of them",
                )
            result[key_text] = _convert(value_node, file, constructor, budget, depth + 1)
            result.key_locs[key_text] = node_location(key_node, file)
            result.value_locs[key_text] = node_location(value_node, file)
        return result
    if isinstance(node, yaml.SequenceNode):
        seq = YSeq()
        seq.loc = node_location(node, file)
        seq.item_locs = []
        for item in node.value:
            seq.append(_convert(item, file, constructor, budget, depth + 1))
            seq.item_locs.append(node_location(item, file))
        return seq
    try:
        return constructor.construct_object(node, deep=True)
    except ValueError:
        # A date-shaped scalar that is no date (2024-13-01) stays text: the key that reads it
        # says what is wrong, instead of a crash.
        if node.tag == "tag:yaml.org,2002:timestamp":
            return str(node.value)
        raise


def parse_yaml(text: str, file: str) -> Any:
    """Parse YAML text into YMap/YSeq/scalars; a syntax error becomes MflError E001, an alias
    bomb or a too deep nesting E704."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        budget = _Budget(file, MAX_YAML_EXPANSION * len(text) + 1000)
        return _convert(node, file, loader, budget)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        loc = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
        problem = err.problem or err.context or "invalid YAML"
        raise MflError(
            "E001",
            f"YAML syntax error: {problem}",
            loc,
            syntax_hint(text, loc.line)
            or "check indentation (spaces, not tabs) and that every 'key: value' has a space after"
            " the colon; quote values that contain ': ' or start with '{', '[', '*' or '&'",
        ) from None
    except yaml.YAMLError as err:
        raise MflError("E001", f"YAML syntax error: {err}", Location(file)) from None
    except RecursionError:
        raise MflError(
            "E704",
            f"YAML nests mappings and lists more than {MAX_YAML_DEPTH} deep",
            Location(file),
            "flatten the structure",
        ) from None
    finally:
        loader.dispose()


def syntax_hint(text: str, line: int) -> str | None:
    """A hint that names the likely cause of a YAML syntax error on or just above `line`:
    full-width punctuation (全角) or a tab; None when neither is there."""
    lines = text.splitlines()
    for number in (line, line - 1, line + 1):
        if not 1 <= number <= len(lines):
            continue
        source = lines[number - 1]
        structure = source.split("#", 1)[0].split(":", 1)[0]  # a label's value may hold them
        for char, ascii_char in FULL_WIDTH.items():
            if char in structure:
                shown = "the full-width space" if char == "\u3000" else f"'{char}'"
                return (
                    f"line {number} has {shown}, full-width (全角) punctuation: YAML needs "
                    f"{ascii_char if ascii_char == 'a space' else repr(ascii_char)}; switch the "
                    "input method to half-width (半角), or quote the text if it is a label"
                )
        if "\t" in source[: len(source) - len(source.lstrip())]:
            return f"line {number} is indented with a tab: YAML indents with spaces only"
    source = lines[line - 1] if 1 <= line <= len(lines) else ""
    if "{" in source and (inside := _COMMA_IN_PARENS.search(source)) is not None:
        # `- {name: x, filter: channel in ('tel', 'wx')}`: the comma ends the value there
        return (
            f"line {line} has a comma inside {inside.group(0)} in an unquoted {{...}} mapping,"
            " where a comma ends the value: quote the value (filter: \"channel in ('tel', 'wx')\")"
            " or write the key on its own line"
        )
    return None


_COMMA_IN_PARENS = re.compile(r"\([^()]*,[^()]*\)")


def read_yaml(path: Path, root: Path) -> Any:
    """Read and parse one YAML file; locations are relative to the project root."""
    file = relative_name(path, root)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise MflError("E003", f"cannot read {file}: {err.strerror}", Location(file)) from None
    except UnicodeDecodeError:
        raise MflError(
            "E003", f"{file} is not UTF-8 text", Location(file), "save the file as UTF-8"
        ) from None
    return parse_yaml(text, file)


def relative_name(path: Path, root: Path) -> str:
    """A path as the user sees it: relative to the project root where possible."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
