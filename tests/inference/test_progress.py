"""Progress on a terminal: silent when standard error is not one, drawn when forced, and the
results of a bootstrap do not depend on it."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

import econ
from econ.inference.progress import ENVIRONMENT, Progress, progress_wanted


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _run(stream: io.StringIO, *, show: bool | None = None, seconds: float = 5.0) -> str:
    clock = Clock()
    with Progress("job", 10, show=show, stream=stream, clock=clock) as bar:
        for _ in range(10):
            clock.now += seconds / 10
            bar.advance()
    return stream.getvalue()


def test_silent_when_not_a_terminal(monkeypatch):
    monkeypatch.delenv(ENVIRONMENT, raising=False)
    assert _run(io.StringIO()) == ""


def test_drawn_on_a_terminal_for_a_long_job_only(monkeypatch):
    monkeypatch.delenv(ENVIRONMENT, raising=False)
    shown = _run(Terminal())
    assert "job: 10/10 (100%), 5s" in shown and shown.endswith("\n") and "\r" in shown
    assert _run(Terminal(), seconds=0.5) == ""  # done within a second: nothing drawn


def test_forced_on_and_off(monkeypatch):
    monkeypatch.delenv(ENVIRONMENT, raising=False)
    assert "job: 10/10 (100%)" in _run(io.StringIO(), show=True, seconds=0.1)
    assert _run(Terminal(), show=False) == ""
    monkeypatch.setenv(ENVIRONMENT, "1")
    assert progress_wanted(None, io.StringIO())
    monkeypatch.setenv(ENVIRONMENT, "0")
    assert not progress_wanted(None, Terminal())


def test_a_forced_bootstrap_shows_progress_and_the_same_numbers(capsys, monkeypatch):
    monkeypatch.delenv(ENVIRONMENT, raising=False)
    rng = np.random.default_rng(4)
    g = np.repeat(np.arange(40), 10)
    x = rng.normal(size=400)
    data = pd.DataFrame({"y": 0.1 * x + rng.normal(size=400) + rng.normal(size=40)[g],
                         "x": x, "g": g})
    fit = econ.feols("y ~ x", data, cov=econ.Cluster("g"))
    quiet = fit.wild_bootstrap("x", econ.WildBootstrap(reps=2999, seed=3, keep_draws=True))
    assert capsys.readouterr().err == ""  # pytest's stderr is not a terminal
    loud = fit.wild_bootstrap("x", econ.WildBootstrap(reps=2999, seed=3, keep_draws=True,
                                                      progress=True))
    err = capsys.readouterr().err
    assert "wild bootstrap (40 clusters): 2,999/2,999 (100%)" in err
    # Smaller chunks while the counter is shown: the draws are the same bits.
    assert np.array_equal(quiet.draws, loud.draws) and quiet.ci == loud.ci
    with pytest.raises(ValueError, match="progress must be"):
        econ.WildBootstrap(progress="yes")  # type: ignore[arg-type]
