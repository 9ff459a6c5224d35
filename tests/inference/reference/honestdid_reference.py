"""Run the ``honestdid`` Python package (a port of R's HonestDiD) on fixed inputs; write JSON.

``honestdid`` needs torch, so it is not a test dependency: this script is run by hand and its
output, ``honestdid_reference.json``, is committed beside it together with the inputs
(``honestdid_inputs.json``). Command (from the repository root, honestdid 0.1.1 installed)::

    python tests/inference/reference/honestdid_reference.py

Cases (inputs in ``honestdid_inputs.json``):

- ``medicaid``: the worked example of the R package's README, the two-way fixed-effects event
  study of Medicaid expansion on insurance coverage (ehec data, 2014 cohort against never
  expanded, years 2008-2015, reference 2013, clustered by state): 5 pre and 2 post periods.
- ``three_by_three``: a made-up event study with 3 pre and 3 post periods and correlated
  estimates, target the average post-period effect.
- ``one_post``: 4 pre periods and one post period (the ARP test without nuisance parameters).

For relative magnitudes honestdid's test is run on a coarse grid (``COARSE`` points over the
estimate +- ``GRID_WIDTH`` standard errors, widened with Mbar), then on a fine grid
(``FINE`` points) between the last rejected and the first accepted coarse point at each end,
and for the conditional test (no simulation, so a single point can be tested) by
``BISECTIONS`` halvings on honestdid's decision: the ends are honestdid's to ``resolution``
(stored). The conditional test (no simulation) and
the least-favourable hybrid (simulated critical value, honestdid's own seed) are both run (the
hybrid once per case: each call simulates 1,000 linear programs per polyhedron). Smoothness
uses honestdid's FLCI.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
COARSE = 41
FINE = 21
BISECTIONS = 10
GRID_WIDTH = 8.0
RM_RUNS = {"medicaid": {"Conditional": (0.5, 2.0), "C-LF": (1.0,)},
           "three_by_three": {"Conditional": (0.5, 2.0), "C-LF": (1.0,)},
           "one_post": {"Conditional": (0.5, 2.0), "C-LF": (1.0,)}}
MS = {"medicaid": (0.0, 0.01, 0.02, 0.03), "three_by_three": (0.0, 0.05, 0.1),
      "one_post": (0.0, 0.05, 0.1)}


def make_inputs() -> None:
    """Write ``honestdid_inputs.json``. The Medicaid event study is estimated with
    ``econ.feols`` (fixest conventions, as the README's ``fixest::feols``) on the ehec data
    shipped with ``moderndid`` (the file the README downloads from Mixtape-Sessions)."""
    import moderndid
    import pandas as pd

    from econ.inference.covariance import Cluster
    from econ.models.feols import feols

    data = pd.read_pickle(Path(moderndid.__file__).parent / "core" / "datasets"
                          / "ehec_data.pkl.gz")
    data = data[(data["year"] < 2016) & (data["yexp2"].isna() | (data["yexp2"] != 2015))]
    data = data.assign(D=(data["yexp2"] == 2014).astype(float))
    terms = []
    for year in range(2008, 2016):
        if year != 2013:
            data[f"d{year}"] = ((data["year"] == year) & (data["D"] == 1)).astype(float)
            terms.append(f"d{year}")
    fit = feols(f"dins ~ {' + '.join(terms)} | stfips + year", data, cov=Cluster("stfips"))
    rng = np.random.default_rng(20240501)
    root = rng.normal(size=(6, 6)) * 0.02
    three = {"betahat": [0.01, -0.02, 0.005, 0.08, 0.1, 0.12],
             "sigma": (root @ root.T + np.eye(6) * 1e-4).tolist(), "n_pre": 3, "n_post": 3,
             "l_vec": [1 / 3, 1 / 3, 1 / 3]}
    root = rng.normal(size=(5, 5)) * 0.03
    one = {"betahat": [0.03, -0.01, 0.02, 0.01, 0.09],
           "sigma": (root @ root.T + np.eye(5) * 2e-4).tolist(), "n_pre": 4, "n_post": 1,
           "l_vec": [1.0]}
    inputs = {"medicaid": {"betahat": fit.params.tolist(), "sigma": fit.covariance.cov.tolist(),
                           "n_pre": 5, "n_post": 2, "l_vec": [1.0, 0.0]},
              "three_by_three": three, "one_post": one}
    (HERE / "honestdid_inputs.json").write_text(json.dumps(inputs, indent=1) + "\n")


def _patch_numpy2(core: object) -> None:
    """honestdid 0.1.1 calls ``float()`` on 1x1 arrays, an error under NumPy 2 (installed:
    2.4). Re-define the functions that do so with a conversion that accepts them; nothing else
    in their code changes."""
    import builtins
    import inspect
    import re
    import textwrap

    namespace = vars(core)

    def scalar(value: object) -> float:
        if isinstance(value, str | int | float):
            return builtins.float(value)
        return builtins.float(np.asarray(value).reshape(-1)[0])

    namespace["_scalar"] = scalar
    for name in ("_lp_conditional_test_fn", "_test_in_identified_set",
                 "_test_in_identified_set_LF_hybrid", "_test_in_identified_set_FLCI_hybrid"):
        source = textwrap.dedent(inspect.getsource(namespace[name]))
        exec(re.sub(r"(?<![\w.])float\(", "_scalar(", source), namespace)


def main() -> None:
    import honestdid
    import honestdid.core

    _patch_numpy2(honestdid.core)
    if not (HERE / "honestdid_inputs.json").exists():
        make_inputs()
    inputs = json.loads((HERE / "honestdid_inputs.json").read_text())
    out: dict[str, object] = {"package": f"honestdid {honestdid.__version__}",
                              "coarse_points": COARSE, "fine_points": FINE}
    for name, case in inputs.items():
        beta = np.array(case["betahat"])
        sigma = np.array(case["sigma"])
        n_pre, n_post = case["n_pre"], case["n_post"]
        l_vec = np.array(case["l_vec"])
        theta = float(l_vec @ beta[n_pre:])
        sd = float(np.sqrt(l_vec @ sigma[n_pre:, n_pre:] @ l_vec))
        rows = []
        for method, mbars in RM_RUNS[name].items():
            for mbar in mbars:
                width = GRID_WIDTH * sd + 2 * mbar * _spread(beta, n_pre)
                grid, ok = accepted(honestdid, case, mbar, method, theta - width,
                                    theta + width, COARSE)
                first, last = np.flatnonzero(ok)[[0, -1]]
                if first == 0 or last == len(grid) - 1:
                    raise RuntimeError(f"{name} {method} {mbar}: set reaches the grid edge")
                fine_low, ok_low = accepted(honestdid, case, mbar, method, grid[first - 1],
                                            grid[first], FINE)
                fine_high, ok_high = accepted(honestdid, case, mbar, method, grid[last],
                                              grid[last + 1], FINE)
                i, j = np.flatnonzero(ok_low)[0], np.flatnonzero(ok_high)[-1]
                resolution = float(grid[1] - grid[0]) / (FINE - 1)
                lb, ub = float(fine_low[i]), float(fine_high[j])
                if method == "Conditional" and 0 < i and j < FINE - 1:
                    # No simulation in this test: bisect on honestdid's own decision.
                    lb = bisect(honestdid, case, mbar, float(fine_low[i - 1]), lb)
                    ub = bisect(honestdid, case, mbar, float(fine_high[j + 1]), ub)
                    resolution /= 2**BISECTIONS
                rows.append({"restriction": "RM", "method": method, "M": mbar, "lb": lb,
                             "ub": ub, "resolution": resolution})
                print(name, rows[-1], flush=True)
        for m in MS[name]:
            table = honestdid.createSensitivityResults(beta, sigma, n_pre, n_post,
                                                      method="FLCI", Mvec=[m], l_vec=l_vec)
            rows.append({"restriction": "SD", "method": "FLCI", "M": m,
                         "lb": float(table["lb"].iloc[0]), "ub": float(table["ub"].iloc[0])})
            print(name, rows[-1], flush=True)
        original = honestdid.constructOriginalCS(beta, sigma, n_pre, n_post, l_vec=l_vec)
        out[name] = {"rows": rows, "original": [float(original["lb"].iloc[0]),
                                                float(original["ub"].iloc[0])]}
    (HERE / "honestdid_reference.json").write_text(json.dumps(out, indent=1) + "\n")


def accepted(honestdid: object, case: dict[str, object], mbar: float, method: str,
             low: float, high: float, points: int) -> tuple[np.ndarray, np.ndarray]:
    """honestdid's acceptance of each point of ``linspace(low, high, points)``."""
    beta = np.array(case["betahat"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grid = honestdid.computeConditionalCS_DeltaRM(  # type: ignore[attr-defined]
            beta, np.array(case["sigma"]), case["n_pre"], case["n_post"],
            l_vec=np.array(case["l_vec"]), Mbar=mbar,
            hybrid_flag="LF" if method == "C-LF" else "ARP", gridPoints=points,
            grid_lb=low, grid_ub=high)
    return grid["grid"].to_numpy(), grid["accept"].to_numpy()


def bisect(honestdid: object, case: dict[str, object], mbar: float, outside: float,
           inside: float) -> float:
    """The end between a rejected and an accepted point, by ``BISECTIONS`` halvings on the
    conditional test's decision; returns the accepted side."""
    for _ in range(BISECTIONS):
        middle = (outside + inside) / 2
        if accepted(honestdid, case, mbar, "Conditional", middle, middle, 1)[1][0]:
            inside = middle
        else:
            outside = middle
    return inside


def _spread(beta: np.ndarray, n_pre: int) -> float:
    """Largest pre-period first difference (reference at zero): widens the grid with Mbar."""
    pre = np.r_[beta[:n_pre], 0.0]
    return float(np.abs(np.diff(pre)).max()) * len(beta)


if __name__ == "__main__":
    main()
