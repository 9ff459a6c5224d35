"""Header and value mappings written outside Python: a mapping file or ``--map`` options.

``read_panel(path, mapping=..., value_mapping=...)`` takes ``{your header: column}`` and
``{column: {your value: allowed value}}``. On the command line the same comes from a file in
JSON, YAML or TOML with two sections::

    # mapping.toml
    [columns]
    "帮扶单位级别" = "unit_level"
    "帮扶资金额" = "assistance_funds"

    [values.unit_level]
    "区直" = "county"

(in JSON ``{"columns": {...}, "values": {"unit_level": {...}}}``; ``mapping`` and
``value_mapping`` are accepted as the sections' names too), or from repeated options
``--map 帮扶单位级别=unit_level`` (a header) and ``--map unit_level:区直=county`` (a value; the
column may be named by any accepted header or by a header mapped to it). Everything is checked
before the data are read: targets that are not columns, values that are not allowed, entries
that are not text, with the file and the key (and, where the format tells it, the line).
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from econ.data.headers import canonical_name
from econ.data.schema import PANEL, TableSchema

_SECTIONS = {"columns": "columns", "mapping": "columns", "values": "values",
             "value_mapping": "values"}
_FORMATS = {".json": "JSON", ".yaml": "YAML", ".yml": "YAML", ".toml": "TOML"}
#: Full-width forms typed by a Chinese input method.
_EQUALS, _COLON = re.compile("[=＝]"), re.compile("[:：]")


class MappingError(ValueError):
    """A mapping file or ``--map`` option that cannot be used; the message says where."""


@dataclass(frozen=True)
class LoadMapping:
    """``columns``: {header: canonical column}; ``values``: {column: {value: allowed value}}."""

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)

    def read_options(self) -> dict[str, Any]:
        """Keyword arguments for :func:`econ.read_panel` (only those that are set)."""
        options: dict[str, Any] = {}
        if self.columns:
            options["mapping"] = dict(self.columns)
        if self.values:
            options["value_mapping"] = {c: dict(v) for c, v in self.values.items()}
        return options


def load_mapping(
    path: str | Path | None = None,
    inline: Sequence[str] = (),
    *,
    schema: TableSchema = PANEL,
) -> LoadMapping:
    """The mapping of a file and ``--map`` entries (which override the file's), checked.

    Parameters
    ----------
    path
        A ``.json``, ``.yaml``/``.yml`` or ``.toml`` file with ``columns`` and ``values``.
    inline
        ``"HEADER=COLUMN"`` or ``"COLUMN:VALUE=ALLOWED"`` entries.
    schema
        The table the mapping is for (:data:`~econ.data.schema.PANEL` or ``SURVEY``).

    Raises
    ------
    MappingError
        Naming the file, the line (for syntax errors) and the key of each problem.
    FileNotFoundError
        When ``path`` does not exist.
    """
    columns: dict[str, str] = {}
    values: dict[str, dict[str, str]] = {}
    problems: list[str] = []
    if path is not None:
        content = _parse(Path(path))
        for key, section in content.items():
            kind = _SECTIONS.get(str(key))
            if kind is None:
                problems.append(f"unknown section {key!r}: a mapping file has 'columns' "
                                f"({{header: column}}) and 'values' ({{column: {{value: "
                                f"allowed value}}}})")
            elif kind == "columns":
                for header, target in _table(section, str(key), problems):
                    columns[header] = target
            else:
                for column, entries in _nested(section, str(key), problems):
                    for value, target in _table(entries, f"{key}.{column}", problems):
                        values.setdefault(column, {})[value] = target
    entries = [_inline(entry) for entry in inline]
    problems += [e for e in entries if isinstance(e, str)]
    pairs = [e for e in entries if not isinstance(e, str)]
    # Headers first, so that a value entry may name a header mapped by a later entry.
    columns.update((left, target) for left, target in pairs if not _COLON.search(left))
    for left, target in pairs:
        pieces = [p.strip() for p in _COLON.split(left, maxsplit=1)]
        if len(pieces) == 2 and _column_of(pieces[0], schema, columns) is not None:
            values.setdefault(pieces[0], {})[pieces[1]] = target
        elif len(pieces) == 2:
            columns[left] = target
    problems += _check(columns, values, schema)
    if problems:
        where = " and ".join([*([repr(str(path))] if path is not None else []),
                              *(["--map"] if inline else [])])
        raise MappingError(f"mapping from {where} cannot be used:\n"
                           + "\n".join(f"  - {p}" for p in problems))
    resolved: dict[str, dict[str, str]] = {}
    for column, entries in values.items():
        resolved.setdefault(_column_of(column, schema, columns) or column, {}).update(entries)
    return LoadMapping(columns, resolved)


def _parse(path: Path) -> dict[str, Any]:
    kind = _FORMATS.get(path.suffix.lower())
    if kind is None:
        raise MappingError(f"mapping file {str(path)!r}: unknown type {path.suffix!r}; use "
                           f".json, .yaml, .yml or .toml")
    if not path.is_file():
        raise FileNotFoundError(f"no mapping file at {str(path)!r}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise MappingError(f"mapping file {str(path)!r} is not UTF-8 text ({error}); save "
                           f"it as UTF-8") from error
    try:
        content = (json.loads(text, object_pairs_hook=_unique_pairs) if kind == "JSON"
                   else tomllib.loads(text) if kind == "TOML" else _yaml(text))
    except json.JSONDecodeError as error:
        raise MappingError(f"mapping file {str(path)!r} is not valid JSON: {error.msg} at "
                           f"line {error.lineno}, column {error.colno}") from error
    except tomllib.TOMLDecodeError as error:
        raise MappingError(f"mapping file {str(path)!r} is not valid TOML: {error} (note: a "
                           f"Chinese key needs quotes, \"帮扶单位级别\" = \"unit_level\")"
                           ) from error
    except MappingError:
        raise
    except _Duplicate as error:
        raise MappingError(f"mapping file {str(path)!r}: {error}") from error
    except ValueError as error:  # yaml.YAMLError is re-raised as ValueError by _yaml
        raise MappingError(f"mapping file {str(path)!r} is not valid {kind}: {error}"
                           ) from error
    if content is None:
        raise MappingError(f"mapping file {str(path)!r} is empty")
    if not isinstance(content, dict):
        raise MappingError(f"mapping file {str(path)!r} must hold sections 'columns' and "
                           f"'values', not a {type(content).__name__}")
    return content


class _Duplicate(Exception):
    """A key given twice in one table of a mapping file."""


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _Duplicate(f"key {key!r} is given twice in the same table; keep one")
        seen[key] = value
    return seen


def _yaml(text: str) -> Any:
    try:
        import yaml  # type: ignore[import-untyped]
    except ImportError as error:  # PyYAML comes with dask; a bare install may lack it
        raise MappingError("reading a YAML mapping needs PyYAML (pip install pyyaml); or "
                           "write the mapping as JSON or TOML") from error

    class Loader(yaml.SafeLoader):
        """Safe YAML that refuses a key given twice (plain YAML keeps the last silently)."""

    def mapping(loader: Loader, node: Any, deep: bool = False) -> dict[Any, Any]:
        keys: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in keys:
                raise _Duplicate(f"key {key!r} is given twice (line "
                                 f"{key_node.start_mark.line + 1}); keep one")
            keys[key] = loader.construct_object(value_node, deep=deep)
        return keys

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    try:
        return yaml.load(text, Loader=Loader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ValueError(f"{getattr(error, 'problem', None) or error}{line}") from error


def _table(section: Any, name: str, problems: list[str]) -> Iterable[tuple[str, str]]:
    if not isinstance(section, dict):
        problems.append(f"section {name!r} must be a table of text entries, not "
                        f"{type(section).__name__} {section!r}")
        return
    for key, value in section.items():
        if not isinstance(key, str) or not isinstance(value, str) or not key.strip():
            problems.append(f"{name}: entry {key!r}: {value!r} must be text on both sides "
                            f"(quote numbers and yes/no words)")
            continue
        yield key, value.strip()


def _nested(section: Any, name: str, problems: list[str]) -> Iterable[tuple[str, Any]]:
    if not isinstance(section, dict):
        problems.append(f"section {name!r} must hold one table per column ({{column: "
                        f"{{value: allowed value}}}}), not {type(section).__name__}")
        return
    for key, value in section.items():
        if not isinstance(key, str):
            problems.append(f"{name}: column {key!r} must be text")
            continue
        yield key, value


def _inline(entry: str) -> tuple[str, str] | str:
    """``(left side, target)`` of a ``--map`` entry, or what is wrong with it."""
    parts = [p.strip() for p in _EQUALS.split(entry, maxsplit=1)]
    if len(parts) != 2 or not parts[0] or not parts[1]:
        return (f"--map {entry!r}: expected HEADER=COLUMN (e.g. 帮扶单位级别=unit_level) or "
                f"COLUMN:VALUE=ALLOWED (e.g. unit_level:区直=county)")
    return parts[0], parts[1]


def _column_of(name: str, schema: TableSchema, columns: dict[str, str]) -> str | None:
    """The column a value mapping's key means: a column's name or header, or a mapped one."""
    if name in columns:
        return columns[name]
    return canonical_name(name, schema)


def _suggest(text: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(text, options, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check(columns: dict[str, str], values: dict[str, dict[str, str]],
           schema: TableSchema) -> list[str]:
    problems = []
    for header, target in columns.items():
        if target not in schema.names:
            problems.append(
                f"columns: {header!r} -> {target!r}: {target!r} is not a column of the "
                f"{schema.name}{_suggest(target, schema.names)}; columns: "
                f"{', '.join(schema.names)}")
    for name, entries in values.items():
        column = _column_of(name, schema, columns)
        if column is None or column not in schema.names:
            problems.append(f"values: {name!r} is not a column of the {schema.name}"
                            f"{_suggest(name, schema.names)}")
            continue
        allowed = schema[column].categories
        if schema[column].kind != "category":
            kinds = [c.name for c in schema.columns if c.kind == "category"]
            problems.append(f"values: {column!r} is not a category column; value mappings "
                            f"are for {', '.join(kinds)}")
            continue
        for value, target in entries.items():
            if target not in allowed:
                problems.append(f"values: {column}: {value!r} -> {target!r}: {target!r} is "
                                f"not an allowed value{_suggest(target, allowed)}; allowed: "
                                f"{', '.join(allowed)}")
    return problems
