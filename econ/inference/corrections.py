"""Small-sample corrections: one place, named and defaulted as in fixest (``ssc()``).

================  =====================================  ======================================
option            fixest default (``ssc()``)             Stata
================  =====================================  ======================================
``adj``           ``(n - 1) / (n - K)`` applied          ``regress``/``reghdfe``: applied
``fixef_k``       ``"nested"``: fixed effects nested in  ``reghdfe``: nested absorbed effects
                  the cluster variable not counted in K  not counted; ``areg``: counted
``cluster_adj``   ``G / (G - 1)`` applied                applied (``vce(cluster)``)
``cluster_df``    ``"min"``: multiway terms all use the  ``reghdfe``: min G; ``cgmreg``: each
                  smallest G                             term its own G (``"conventional"``)
``t_df``          ``"min"``: t with ``G_min - 1`` df     ``G - 1`` df with ``vce(cluster)``
================  =====================================  ======================================

K is the number of regressors plus the fixed-effect coefficients (levels less redundancies);
with ``fixef_k="nested"`` the coefficients of each fixed effect nested in a cluster variable are
left out, less one for its redundancy with the others (as fixest and pyfixest count them).
Heteroskedasticity-robust (HC1) is the cluster formula with one cluster per observation, and
the i.i.d. variance is ``RSS / (n - 1)`` times ``adj``, so both match ``lm`` with dummies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class SmallSample:
    """Small-sample correction options (defaults match fixest's ``ssc()`` and pyfixest)."""

    adj: bool = True
    fixef_k: Literal["nested", "full", "none"] = "nested"
    cluster_adj: bool = True
    cluster_df: Literal["min", "conventional"] = "min"
    t_df: Literal["min", "conventional"] = "min"

    def k(self, n_params: int, fe_params: int, nested_levels: int, n_nested: int) -> int:
        """The K in ``(n - 1) / (n - K)``."""
        if self.fixef_k == "none":
            return n_params
        if self.fixef_k == "full" or not n_nested:
            return n_params + fe_params
        return n_params + fe_params - nested_levels + n_nested

    def scale(self, n: int, k: int) -> float:
        return (n - 1) / (n - k) if self.adj else 1.0

    def cluster_scale(self, g: int) -> float:
        return g / (g - 1) if self.cluster_adj else 1.0


DEFAULT = SmallSample()
