"""Table 14 and Figure 6: the strong-alliance triple difference under every few-cluster method.

The panel has two counties and about thirty townships. ``econ.few_cluster_inference`` tests the
triple difference clustered by county and by township with each method that applies (CR1, CR2,
CR3, wild cluster bootstraps, the subcluster bootstrap, and the cluster-level tests where the
coefficient is estimable within clusters), reports the smallest p-value each can give and
recommends one. Run alone from the project root or through ``econ replicate``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import econ

SEED = 20240501
REPS = 9999
NEEDS = ("unit_level", "endowment", "assistance_funds")
TRIPLE = "high_level:rich:post"


def main(*, panel: econ.Dataset, output: Path, reps: int = REPS) -> list[Path]:
    """Write the few-cluster table and figure; return the files written."""
    derived = econ.derive(panel)
    data = derived.to_pandas()
    data["y"] = np.log1p(data["assistance_funds"])
    fit = econ.feols(f"y ~ {TRIPLE} + rich:post + high_level:post + high_level"
                     " | village_id + year", econ.Dataset(data, simulated=panel.simulated),
                     cov=econ.Cluster("township_id"), groups=["county_id"])
    result = econ.few_cluster_inference(fit, TRIPLE, reps=reps, seed=SEED)
    notes = [econ.SIMULATED_LABEL] if panel.simulated else []
    table = result.tidy()
    written = econ.Table.from_frame(
        table, digits=4,
        title="Table 14. The triple difference under each few-cluster method",
        notes=[*notes, f"Triple difference (high-level unit x rich village x post-2021) "
                       f"{result.estimate:.4f}; log(1 + funds), village and year fixed "
                       f"effects.", f"Recommended: {result.recommendation}. {result.reason}",
               *result.notes],
    ).write(output / "table14_few_clusters")
    shown = table[np.isfinite(table["p_value"].to_numpy(dtype=float))]
    chart = econ.coefficient_plot(
        shown, term="method", estimate="p_value", low=None, high=None, group="clustering",
        simulated=panel.simulated, xlabel="p-value of the triple difference", width="double",
        title="Figure 6. p-values by few-cluster method and clustering level")
    return written + chart.save(output / "figure6_few_clusters")


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    main(panel=econ.read_panel(root / "data" / "village_panel.parquet"),
         output=root / "replication" / "output")
