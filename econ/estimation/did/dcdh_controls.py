"""Time-varying controls in DID_l (de Chaisemartin and D'Haultfoeuille 2024, Section 1.6 of
their web appendix), as the authors' Python port computes them.

For each baseline treatment ``d``, ``theta_d`` is the coefficient of the first-differenced
controls in a regression of the first-differenced outcome on them with period effects, among
the not-yet-switched groups with baseline ``d``; every long difference of the outcome then has
``theta_d`` times the same long difference of the controls taken off. The variance accounts for
the estimation of ``theta_d`` through a correction of each group's ``U^var`` (the authors'
``part2``): the derivative of the estimate with respect to ``theta_d`` (``M_d``) times the
influence function of ``theta_d``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from econ.estimation.did.dcdh_panel import SwitchPanel, distinct_per_key


@dataclass(frozen=True, eq=False)
class ControlFit:
    """``theta`` (baselines x controls), ``inverse`` (the authors' ``inv_Denom``: baselines x
    controls x controls) and ``in_sum`` (groups x controls, for each group's own baseline)."""

    theta: np.ndarray
    inverse: np.ndarray
    in_sum: np.ndarray


def _cell_means(values: np.ndarray, rows: np.ndarray, keys: np.ndarray, size: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """Sum and count of ``values`` (rows x k) over ``rows`` per integer key."""
    counts = np.bincount(keys[rows], minlength=size).astype(float)
    sums = np.stack([np.bincount(keys[rows], weights=values[rows, j], minlength=size)
                     for j in range(values.shape[1])], axis=1)
    return sums, counts


def fit_controls(panel: SwitchPanel, cluster: np.ndarray | None) -> ControlFit:
    """``theta_d``, its inverse denominator and each group's ``in_sum`` (see the module)."""
    g, t = panel.n_groups, panel.n_periods
    k = panel.controls.shape[2]
    codes = panel.baseline_code
    n_codes = int(codes.max()) + 1
    periods = np.arange(t)[None, :]
    dy = np.diff(panel.outcome, axis=1, prepend=np.nan)
    dx = np.diff(panel.controls, axis=1, prepend=np.nan)
    before = periods < panel.first_switch[:, None]
    complete = ~np.isnan(dx).any(axis=2)
    sample = (before & ~np.isnan(dy) & complete).reshape(-1)
    cell = (codes[:, None] * t + periods).reshape(-1)
    flat_dx = np.nan_to_num(dx.reshape(-1, k))
    flat_dy = np.nan_to_num(dy.reshape(-1))
    sums, counts = _cell_means(flat_dx, sample, cell, n_codes * t)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_dx = sums / counts[:, None]
    resid = np.where(sample[:, None], flat_dx - mean_dx[cell], 0.0)
    dy_sum = np.bincount(cell[sample], weights=flat_dy[sample], minlength=n_codes * t)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_dy = dy_sum / counts
    row_code = np.repeat(codes, t)
    last = np.repeat(panel.last_period, t)
    flat_periods = np.tile(np.arange(t), g)
    valid_dy = ~np.isnan(dy).reshape(-1)
    flat_before = before.reshape(-1)
    rsum = float((valid_dy & flat_before & (flat_periods >= 1)
                  & (flat_periods <= panel.first_switch.max() - 1)).sum())
    theta = np.zeros((n_codes, k))
    inverse = np.zeros((n_codes, k, k))
    for code in range(n_codes):
        rows = sample & (row_code == code)
        x = resid[rows]
        pinv = np.linalg.pinv(x.T @ x)
        theta[code] = pinv @ (x.T @ flat_dy[rows])
        inverse[code] = pinv * rsum * g
    # The fitted first difference of the period-effects regression, and how many
    # not-yet-switched groups (or clusters) share each baseline and period.
    fitted = mean_dy[cell] + ((flat_dx - mean_dx[cell]) * theta[row_code]).sum(axis=1)
    fitted = np.where(flat_before & complete.reshape(-1), fitted, np.nan)
    eligible = valid_dy & flat_before
    if cluster is None:
        size = np.bincount(cell[eligible], minlength=n_codes * t)[cell].astype(float)
    else:
        clusters = np.repeat(cluster, t)
        size = distinct_per_key(cell[eligible], clusters[eligible],
                                n_codes * t)[cell].astype(float)
    pooled = size >= 2
    expected = np.where(pooled, fitted, np.where(np.isnan(fitted), np.nan, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        dof = np.where(pooled, np.sqrt(size / np.where(pooled, size - 1, 1.0)), 1.0)
    n_control = np.bincount(row_code[valid_dy & flat_before & (flat_periods >= 1)
                                     & (flat_periods <= last)], minlength=n_codes)
    used = eligible & (flat_periods >= 1) & ~np.isnan(expected)
    terms = np.where(used[:, None], resid * (dof * (flat_dy - np.nan_to_num(expected)))[:, None],
                     0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = terms / n_control[row_code][:, None]
    in_sum = np.nan_to_num(terms).reshape(g, t, k).sum(axis=1)
    return ControlFit(theta, inverse, in_sum)


def correction(fit: ControlFit, panel: SwitchPanel, weight: np.ndarray, dx: np.ndarray,
               lag: int, scale: float, own_baseline_only: bool) -> np.ndarray:
    """The authors' ``part2``: ``sum_d M_d . (inv_Denom_d in_sum_g 1[d_g = d, F_g >= 3] -
    theta_d)`` per group, taken off ``U^var``. ``weight`` is the switcher-minus-control weight
    of each (group, period) in the window; the effects' version adds every baseline's term to
    every group, the placebos' only its own baseline's (as the port does)."""
    codes = panel.baseline_code
    n_codes = fit.theta.shape[0]
    inside = lag <= panel.last_period - 1
    m = scale * inside[:, None] * np.einsum("gt,gtk->gk", weight, np.nan_to_num(dx))
    moments = np.stack([m[codes == c].sum(axis=0) for c in range(n_codes)]) / panel.n_groups
    early = panel.first_switch >= 2
    own = np.einsum("gjk,gk->gj", fit.inverse[codes], fit.in_sum) * early[:, None]
    if own_baseline_only:
        return ((own - fit.theta[codes]) * moments[codes]).sum(axis=1)
    mine = (own * moments[codes]).sum(axis=1)
    return mine - float((moments * fit.theta).sum())
