"""econ.table stays below the rest of the package and small enough to read."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import econ

PACKAGE = Path(econ.__file__).resolve().parent / "table"
# The file formats' own libraries, beside the standard library.
ALLOWED = set(sys.stdlib_module_names) | {"numpy", "pandas", "docx", "openpyxl"}


def test_the_table_package_imports_nothing_from_econ_but_itself():
    """Results and presentation both render through econ.table, so it must sit below both."""
    modules = sorted(PACKAGE.glob("*.py"))
    assert {m.stem for m in modules} >= {"__init__", "core", "word", "excel"}
    for module in modules:
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 0, f"relative import in {module.name}"
                names = [node.module or ""]
            else:
                continue
            for name in names:
                inside = name == "econ.table" or name.startswith("econ.table.")
                assert inside or name.split(".")[0] in ALLOWED, (module.name, name)


def test_no_module_is_long():
    assert {m.name: n for m in PACKAGE.glob("*.py")
            if (n := len(m.read_text(encoding="utf-8").splitlines())) > 400} == {}


def test_the_public_names_are_where_they_were():
    from econ.table import FORMATS, LATEX_PREAMBLE, Table, format_number, table_formats

    assert econ.Table is Table and callable(format_number) and callable(table_formats)
    assert FORMATS[:5] == ("md", "tex", "html", "csv", "txt") and "booktabs" in LATEX_PREAMBLE
