"""Monte Carlo size of the wild cluster bootstrap: benchmarks/size_wild_bootstrap.py's design."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "size_wild_bootstrap.py"


def _load_script():
    spec = importlib.util.spec_from_file_location("size_wild_bootstrap", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the script is being executed.
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_wcr_has_size_close_to_nominal_where_cr1_over_rejects():
    """3,000 datasets, G = 10 unequal clusters: WCR11 (all 1,024 Rademacher patterns) rejects
    within [3.5%, 6.5%] at 5%, the CR1 t-test above both 6.5% and the WCR rate."""
    check = _load_script().simulate(reps=3000, seed=20240501)
    wcr, cr1 = check.wcr_rademacher.rate, check.cr1.rate
    assert 0.035 <= wcr <= 0.065, f"WCR11 Rademacher {check.wcr_rademacher}"
    assert cr1 > 0.065, f"CR1 {check.cr1}"
    assert cr1 > wcr, f"CR1 {check.cr1} vs WCR11 {check.wcr_rademacher}"
