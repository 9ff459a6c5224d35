"""The score bootstrap interval's end search (regula falsi on the margin, decided by the
p-value) returns the last accepted value within the tolerance of the true end, with fewer
evaluations than bisection, whatever the margin's shape."""

from __future__ import annotations

import numpy as np
import pytest

from econ.inference.bootstrap.score import _narrow


class _Known:
    """A test whose acceptance region ends at ``root``; ``margin`` is any decreasing curve
    through zero there (only its sign is tied to acceptance)."""

    def __init__(self, root: float, margin) -> None:
        self.root, self.margin, self.calls = root, margin, 0

    def accepts(self, value: float, alpha: float, rule: str) -> tuple[bool, float]:
        self.calls += 1
        return value < self.root, float(self.margin(value - self.root))


@pytest.mark.parametrize("margin", [lambda d: -d, lambda d: -d**3 - 0.1 * d,
                                    lambda d: -np.tanh(50 * d), lambda d: -np.sign(d) * 1e-3],
                         ids=["linear", "cubic", "steep", "flat"])
@pytest.mark.parametrize("root", [0.3, 1.7321])
def test_end_within_tolerance_and_accepted(margin, root):
    tolerance = 1e-6
    known = _Known(root, margin)
    end = _narrow(known, 0.0, 2.0, float(margin(-root)), float(margin(2.0 - root)), 0.05,
                  "inclusive", tolerance)
    assert end < root and root - end <= tolerance
    # Bisection from a width of 2 to 1e-6 takes 21 evaluations: never much more, and a
    # margin linear in the value (what the smooth bootstrap margin is near the end) gives the
    # end at once, the second evaluation closing the bracket.
    assert known.calls <= 30
    if margin(0.25) == -0.25:
        assert known.calls <= 2


def test_without_margins_it_bisects():
    known = _Known(0.5, lambda d: np.nan)
    end = _narrow(known, 0.0, 1.0, None, float("nan"), 0.05, "inclusive", 1e-6)
    assert 0.5 - 1e-6 <= end < 0.5 and known.calls == 20
