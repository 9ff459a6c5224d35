"""The codebase checks CI relies on: lint clean, and imports flow one way through the layers."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_is_clean():
    result = _run(sys.executable, "-m", "ruff", "check", "econ", "tests", "replication",
                  "benchmarks", "data")
    assert result.returncode == 0, result.stdout + result.stderr


def test_imports_flow_one_way():
    executable = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    if not Path(executable).exists():
        pytest.fail("import-linter is not installed: pip install -e '.[test]'")
    result = _run(executable, "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_types_check():
    result = _run(sys.executable, "-m", "mypy")
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_is_light_and_every_export_resolves():
    # Every econ command pays `import econ`: the public names load when first used.
    code = ("import sys, econ; heavy = [m for m in ('pandas', 'scipy', 'matplotlib', "
            "'statsmodels') if m in sys.modules]; assert not heavy, heavy; "
            "missing = [n for n in econ.__all__ if getattr(econ, n, None) is None]; "
            "assert not missing, missing; assert sorted(dir(econ)) == dir(econ)")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
