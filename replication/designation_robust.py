"""Figures 5b-5c and Table 7b: the designation event study, heterogeneity-robust and honest.

Figure 5 (``staggered.py``) shows Callaway-Sant'Anna estimates of designation with pre-period
estimates away from zero. This step re-estimates the event study with the imputation estimator
of Borusyak, Jaravel and Spiess beside Callaway-Sant'Anna (with a universal base period, so
that event time -1 is a reference), tests pre-trends for each (the joint Wald test of the
Callaway-Sant'Anna pre-period estimates; BJS's Test 1 on untreated observations), and asks how
far parallel trends may fail before the average effect over event times 0-3 loses significance
(Rambachan-Roth relative magnitudes and smoothness, breakdown values) and how powerful the
pre-test was (Roth 2022). The imputation estimates have no reference period (their pre-period
coefficients come from a separate regression on untreated observations), so the sensitivity
analysis is reported for Callaway-Sant'Anna only. Run alone or through ``econ replicate``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import econ

SEED = 20240501
REPS = 999
NEEDS = ("assistance_funds", "demonstration_year")
#: Event times used by the sensitivity analysis (consecutive around the reference -1).
WINDOW = (-6, 3)
#: Pre-period event times in BJS's pre-trend test.
LEADS = 5


def main(*, panel: econ.Dataset, output: Path, reps: int = REPS) -> list[Path]:
    """Write the robust designation event study; return the files written."""
    data = panel.to_pandas()
    data["y"] = np.log1p(data["assistance_funds"])
    sample = econ.Dataset(data, simulated=panel.simulated)
    simulated = [econ.SIMULATED_LABEL] if panel.simulated else []
    cs = econ.att_gt(sample, outcome="y", unit="village_id", time="year",
                     cohort="demonstration_year", control="not_yet_treated",
                     base_period="universal", bootstrap=econ.Multiplier(reps=reps, seed=SEED))
    cs_study = cs.aggregate("dynamic").event_study()
    imputation = econ.did_imputation(sample, outcome="y", unit="village_id", time="year",
                                cohort="demonstration_year", pretrends=LEADS)
    high = WINDOW[1]
    written = econ.event_study_comparison_plot(
        [cs_study, imputation], ["Callaway-Sant'Anna (not yet treated, universal base)",
                                 "Imputation (Borusyak-Jaravel-Spiess)"], window=WINDOW,
        title="Figure 5b. Effect of designation on log(1 + funds) by years since designation",
        simulated=panel.simulated).save(output / "figure5b_designation_robust_event_study")

    relative = econ.honest_did(cs_study, window=WINDOW, target="average")
    smooth = econ.honest_did(cs_study, window=WINDOW, target="average",
                             restriction="smoothness")
    power = econ.pretest_power(cs_study, window=WINDOW, power=0.8)
    written += econ.sensitivity_plot(
        relative, simulated=panel.simulated,
        title="Figure 5c. Designation effect (average, event times 0-3) as parallel trends "
              "is relaxed").save(output / "figure5c_designation_sensitivity")

    cs_wald = econ.pretrend_test(cs_study, window=WINDOW)
    bjs = imputation.pretrend
    assert bjs is not None  # pretrends > 0
    post = cs_study.params.loc[0:high]
    imputation_post = imputation.params.loc[0:high]
    rows = [
        {**_row("Callaway-Sant'Anna", post.mean(), cs_wald),
         "breakdown Mbar": relative.breakdown, "breakdown M": smooth.breakdown,
         "robust 95% set, Mbar = 1": relative.bounds.set_index("M").loc[1.0, "conf_low"],
         "robust high": relative.bounds.set_index("M").loc[1.0, "conf_high"]},
        {**_row("Imputation (BJS)", imputation_post.mean(), bjs),
         "breakdown Mbar": np.nan, "breakdown M": np.nan, "robust 95% set, Mbar = 1": np.nan,
         "robust high": np.nan},
    ]
    table = pd.DataFrame(rows)
    bias = power.periods.set_index("period")["bias_if_passed"].loc[0:high].mean()
    written += econ.Table.from_frame(
        table, digits=3, labels=("estimator", "pre-trend test"), pvalues=("p",),
        intervals={"robust 95% set, Mbar = 1": "robust high"},
        title="Table 7b. Designation: pre-trend tests and breakdown values of the average "
              "effect over event times 0-3",
        notes=[*simulated,
               "Outcome log(1 + funds); event times -6..3 around the reference -1 for "
               "Callaway-Sant'Anna (not-yet-designated controls, universal base period), BJS "
               f"pre-trend test on untreated observations with {LEADS} leads. Breakdown: the "
               "smallest bound at which the 95% robust set for the average effect contains 0 "
               f"(relative magnitudes: C-LF hybrid, seed {SEED}; smoothness: FLCI). The "
               "imputation estimates have no reference period, so no sensitivity analysis.",
               f"Roth (2022): a linear pre-trend of slope {power.slope:.4f} per year would be "
               f"detected by the pre-test with probability {power.power:.0%}; conditional on "
               f"passing, it would bias the average effect by {bias:.3f}."],
    ).write(output / "table7b_designation_breakdown")
    written += econ.Table.from_frame(
        pd.concat([relative.tidy(), smooth.tidy().iloc[1:]], ignore_index=True)
        .drop(columns="contains_null"),
        digits=4, labels=("restriction", "method"),
        title="Figure 5c data. Robust 95% sets for the average designation effect "
              "(Callaway-Sant'Anna)", notes=simulated,
    ).write(output / "figure5c_designation_sensitivity_data")
    return written


def _row(name: str, average: float, test: econ.WaldTest) -> dict[str, object]:
    """Estimator, average effect and its pre-trend test."""
    q, df = test.df_num, test.df_denom
    label = f"F({q}, {df:g})" if np.isfinite(df) else f"chi2({q}) / {q}"
    return {"estimator": name, "average effect 0-3": float(average), "pre-trend test": label,
            "statistic": test.statistic, "p": test.pvalue}


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    main(panel=econ.read_panel(root / "data" / "village_panel.parquet"),
         output=root / "replication" / "output")
