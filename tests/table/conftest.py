"""Tables to write: regression tables fitted on the shipped (simulated) panel, and small
hand-made tables whose every cell is known."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import econ

ROOT = Path(__file__).resolve().parent.parent.parent
PANEL = ROOT / "data" / "village_panel.parquet"


@pytest.fixture(scope="session")
def panel_path() -> Path:
    return PANEL


@pytest.fixture(scope="session")
def fits():
    """Two fits and a seeded wild bootstrap of the first (99 draws: only the layout matters)."""
    derived = econ.derive(econ.read_panel(PANEL))
    data = derived.with_columns(
        {"y": np.log1p(derived.data["assistance_funds"]),
         **{n: derived.data[n].astype("float64") for n in ("high_level", "rich", "post")}},
        {"y": "log(1 + assistance_funds)"})
    main = econ.feols("y ~ high_level:rich:post + rich:post + high_level:post + high_level"
                      " | village_id + year", data, cov=econ.Cluster("township_id"))
    pooled = econ.feols("y ~ high_level + rich | township_id + year", data, cov=econ.HC1())
    test = main.wild_bootstrap("high_level:rich:post", econ.WildBootstrap(reps=99, seed=11))
    return main, pooled, test


@pytest.fixture(scope="session")
def english(fits) -> econ.Table:
    main, pooled, test = fits
    return econ.etable([econ.Model(main, title="Village FE", bootstrap=[test]), pooled],
                       title="Table 4. Funds, unit level and endowment",
                       notes=["Outcome: log(1 + assistance funds)."])


@pytest.fixture(scope="session")
def chinese(fits) -> econ.Table:
    main, pooled, _ = fits
    return econ.etable([main, pooled], language="zh", beneath="ci", title="表4 帮扶资金")


@pytest.fixture(scope="session")
def wide(fits) -> econ.Table:
    main, pooled, _ = fits
    return econ.etable([main, pooled] * 4)


@pytest.fixture
def known() -> econ.Table:
    """Every kind of cell the writers parse, with a rule, a heading row, facts and notes."""
    return econ.Table(
        "Table 7. Known cells",
        ("", "(1)", "(2)"),
        (("Treated", "1.674**", "-0.432***"),
         ("", "(0.659)", "(0.023)"),
         ("Interval", "[0.159, 5.731]", "[-1.757, 0.775]"),
         ("Bootstrap p", "< 0.001", "0.026"),
         ("Village FE", "Yes", "No"),
         ("Observations", "4,342", "12,000"),
         ("Formula text", "=1+1", "")),
        ("Standard errors in parentheses.", econ.SIMULATED_LABEL),
        rules=(4,),
        extra_header=(("Dependent variable", "funds", "funds"),),
        facts=(("Sample", "2013-2025"), ("Clusters", "31")),
    )
