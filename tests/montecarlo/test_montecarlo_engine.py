"""The Monte Carlo engine on a LocalCluster of two worker processes, and in process."""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import threading
import time
import warnings

import cloudpickle
import numpy as np
import pandas as pd
import pytest

from econ.montecarlo import (
    SCHEDULER_VARIABLE,
    SchedulerUnreachable,
    Simulation,
    analysis_seed,
    cluster,
    montecarlo,
    replication_seed,
)

distributed = pytest.importorskip("distributed")

# The workers cannot import this file by name: its functions travel by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

#: Replications the interrupting data step lets through before raising KeyboardInterrupt
#: (None: never); calls made, for the resume test. Both are read only in process.
INTERRUPT_AT: list[int | None] = [None]
CALLS: list[int] = []


def draw(seed: np.random.SeedSequence, shift: float = 0.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(shift, 1.0, size=40)


def analyse(x: np.ndarray, seed: int) -> dict[str, float]:
    """Mean, a z-test p-value, a draw from the analysis stream; fails when x[0] > 2."""
    if x[0] > 2.0:
        raise ValueError(f"first value {x[0]:.3f} above 2")
    if x[1] > 2.0:
        warnings.warn("second value above 2", UserWarning, stacklevel=1)
    z = x.mean() * np.sqrt(len(x))
    from scipy.stats import norm

    return {"mean": float(x.mean()), "p": float(2 * norm.sf(abs(z))),
            "noise": float(np.random.default_rng(seed).normal())}


def slow_draw(seed: np.random.SeedSequence) -> np.ndarray:
    time.sleep(0.02)
    return draw(seed)


def counted_draw(seed: np.random.SeedSequence) -> np.ndarray:
    index = seed.spawn_key[0]
    if INTERRUPT_AT[0] is not None and index >= INTERRUPT_AT[0]:
        raise KeyboardInterrupt
    CALLS.append(index)
    return draw(seed)


@pytest.fixture(scope="module")
def client():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        local = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                         dashboard_address=None, silence_logs=50)
        dask = distributed.Client(local)
    yield dask
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dask.close()
        local.close()


@pytest.fixture(autouse=True)
def no_scheduler_variable(monkeypatch):
    monkeypatch.delenv(SCHEDULER_VARIABLE, raising=False)


@pytest.fixture(scope="module")
def reference():
    """The undisturbed run, in process: 120 replications in two cells."""
    return montecarlo(draw, analyse, reps=120, grid={"shift": [0.0, 0.5]}, workers=0,
                      task_size=8)


def test_seeds_are_the_spawned_children_and_replications_reproduce_alone(reference):
    child = np.random.SeedSequence(99).spawn(6)[5]
    assert np.array_equal(replication_seed(99, 5).generate_state(4), child.generate_state(4))
    assert analysis_seed(99, 5) != analysis_seed(99, 4)
    rows = reference.replications
    clean = rows[(rows["shift"] == 0.5) & rows["error"].isna() & rows["warnings"].isna()]
    row = clean.iloc[-1]
    r = int(row["replication"])
    again = analyse(draw(replication_seed(reference.seed, r), shift=0.5),
                    analysis_seed(reference.seed, r))
    assert [row["mean"], row["p"], row["noise"]] == [again["mean"], again["p"], again["noise"]]


def test_failures_are_recorded_with_their_error_and_counted(reference):
    rows = reference.replications
    assert len(rows) == 240 and list(rows["replication"][:3]) == [0, 1, 2]
    failed = rows[rows["error"].notna()]
    # Common random numbers: the same draws fail in both cells only if shift keeps x[0] > 2.
    assert reference.n_failed == len(failed) > 0
    assert failed["error"].str.match(r"ValueError: first value \d\.\d{3} above 2").all()
    assert failed[["mean", "p", "noise"]].isna().all().all()
    assert rows.loc[rows["warnings"].notna(), "warnings"].eq(
        "UserWarning: second value above 2").all()
    tidy = reference.tidy().set_index(["shift", "value"])
    by_cell = failed.groupby("shift").size()
    assert tidy.loc[(0.0, "mean"), "failed"] == by_cell.get(0.0, 0)
    assert tidy.loc[(0.0, "mean"), "replications"] == 120 - by_cell.get(0.0, 0)
    assert re.search(rf"Failed replications: {reference.n_failed}\n", repr(reference))
    rates = reference.rejection_rates(["p"]).set_index("shift")
    assert rates.loc[0.5, "rate"] > rates.loc[0.0, "rate"]


def test_same_results_with_two_workers_and_other_task_sizes(client, reference):
    for task_size in (4, 120):
        run = montecarlo(draw, analyse, reps=120, grid={"shift": [0.0, 0.5]}, client=client,
                         task_size=task_size)
        assert run.workers == 2
        pd.testing.assert_frame_equal(run.replications, reference.replications)


def test_killed_worker_mid_run_changes_nothing(client, tmp_path):
    # slow_draw is draw with a pause, so the undisturbed numbers are draw's.
    expected = montecarlo(draw, analyse, reps=120, workers=0, task_size=4)
    pids = client.run(os.getpid)
    found = {}

    def run() -> None:
        found["result"] = montecarlo(slow_draw, analyse, reps=120, client=client, task_size=4,
                                     output=tmp_path)

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("task-*.parquet"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    written = len(list(tmp_path.glob("task-*.parquet")))
    os.kill(next(iter(pids.values())), signal.SIGKILL)
    worker.join(timeout=120)
    assert 3 <= written < 30, "the worker was not killed mid-run"
    assert "result" in found, "the run did not complete after a worker was killed"
    pd.testing.assert_frame_equal(found["result"].replications, expected.replications)
    assert len(list(tmp_path.glob("task-*.parquet"))) == 30


def test_same_results_with_one_worker(client, reference):
    # Last of the cluster tests: it leaves the cluster with one worker.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client.cluster.scale(1)
        deadline = time.monotonic() + 30
        while len(client.scheduler_info()["workers"]) != 1 and time.monotonic() < deadline:
            time.sleep(0.1)
    one = montecarlo(draw, analyse, reps=120, grid={"shift": [0.0, 0.5]}, client=client,
                     task_size=7)
    assert one.workers == 1
    pd.testing.assert_frame_equal(one.replications, reference.replications)


def test_interrupted_run_resumes_without_recomputing_finished_tasks(tmp_path):
    CALLS.clear()
    INTERRUPT_AT[0] = 50
    try:
        with pytest.raises(KeyboardInterrupt):
            montecarlo(counted_draw, analyse, reps=100, workers=0, task_size=10, output=tmp_path)
    finally:
        INTERRUPT_AT[0] = None
    assert sorted(p.name for p in tmp_path.glob("task-*.parquet")) == [
        f"task-{k:06d}.parquet" for k in range(5)]
    assert not list(tmp_path.glob(".*tmp")), "a partial task file was left behind"
    CALLS.clear()
    resumed = montecarlo(counted_draw, analyse, reps=100, workers=0, task_size=10,
                         output=tmp_path)
    assert sorted(CALLS) == list(range(50, 100))
    assert resumed.resumed == 5 and resumed.tasks == 10
    undisturbed = montecarlo(counted_draw, analyse, reps=100, workers=0, task_size=10)
    pd.testing.assert_frame_equal(resumed.replications, undisturbed.replications)


def test_output_of_another_run_is_refused_unless_the_settings_match(tmp_path):
    first = montecarlo(draw, analyse, reps=20, workers=0, output=tmp_path, seed=1)
    stored = json.loads((tmp_path / "settings.json").read_text())
    assert stored["fingerprint"] == first.fingerprint and stored["settings"]["reps"] == 20
    for change in (dict(reps=30, seed=1), dict(reps=20, seed=2)):
        with pytest.raises(FileExistsError, match=r"holds the results of another Monte Carlo "
                                                  r"run \(settings differ: (reps|seed)"):
            montecarlo(draw, analyse, workers=0, output=tmp_path, **change)
    with pytest.raises(FileExistsError, match="analysis"):
        montecarlo(draw, None, reps=20, workers=0, output=tmp_path, seed=1)
    again = montecarlo(draw, analyse, reps=20, workers=0, output=tmp_path, seed=1)
    assert again.resumed == again.tasks
    pd.testing.assert_frame_equal(again.replications, first.replications)
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not the output of a Monte Carlo run"):
        montecarlo(draw, analyse, reps=20, workers=0, output=other)


def test_unreachable_scheduler_is_a_clear_error_within_seconds(monkeypatch):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 1.0)
    started = time.monotonic()
    with pytest.raises(SchedulerUnreachable, match=r"cannot reach the Dask scheduler at "
                                                   r"'tcp://127.0.0.1:9' \(from client=\)"):
        montecarlo(draw, analyse, reps=4, client="tcp://127.0.0.1:9")
    monkeypatch.setenv(SCHEDULER_VARIABLE, "tcp://127.0.0.1:9")
    with pytest.raises(SchedulerUnreachable, match="ECON_SCHEDULER environment variable"):
        montecarlo(draw, analyse, reps=4)
    assert time.monotonic() - started < 6


def test_bad_arguments():
    with pytest.raises(ValueError, match="reps must be a positive integer"):
        montecarlo(draw, analyse, reps=0, workers=0)
    with pytest.raises(ValueError, match="task_size must be a positive integer"):
        montecarlo(draw, analyse, reps=5, task_size=0, workers=0)
    with pytest.raises(ValueError, match="workers must be a non-negative integer"):
        montecarlo(draw, analyse, reps=5, workers=-1)
    with pytest.raises(ValueError, match="every grid cell needs the names"):
        montecarlo(draw, analyse, reps=5, workers=0, grid=[{"shift": 0.0}, {"other": 1}])
    with pytest.raises(ValueError, match=r"unknown simulation parameter 'funds\.tripel'"):
        Simulation("wp", {"funds.tripel": 0.3})
    bad = montecarlo(draw, lambda x, seed: {"mean": [1.0]}, reps=2, workers=0)
    assert bad.failures["error"].str.startswith("TypeError: value 'mean' must be a real").all()


def test_text_values_are_kept_as_strings_and_left_out_of_the_summaries():
    run = montecarlo(draw, lambda x, seed: {"mean": x.mean(),
                                            "sign": "+" if x.mean() > 0 else None},
                     reps=30, workers=0)
    rows = run.replications
    assert str(rows["sign"].dtype) == "string" and run.numbers == ("mean",)
    assert (rows["sign"].isna() == (rows["mean"] <= 0)).all()
    assert list(run.tidy()["value"]) == ["mean"]


def test_simulation_step_applies_overrides_and_grid():
    step = Simulation("wp", {"structure.n_counties": 1, "funds.triple": 0.0})
    panel = step(replication_seed(3, 0), **{"funds.triple": 0.7})
    assert panel.params.funds.triple == 0.7 and panel.params.structure.n_counties == 1
    assert panel.data["county_id"].nunique() == 1
    again = step(replication_seed(3, 0), **{"funds.triple": 0.7})
    pd.testing.assert_frame_equal(panel.data, again.data)


def test_a_script_without_a_main_guard_is_told_how_to_fix_it(tmp_path):
    # Spawned workers import the script again and would call the engine once more.
    script = tmp_path / "unguarded.py"
    script.write_text("import numpy as np\nimport econ\n"
                      "econ.montecarlo(lambda seed: 1.0, lambda d, seed: {'x': d}, reps=2,\n"
                      "                workers=1, dashboard=False)\n", encoding="utf-8")
    import subprocess

    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path)
    assert run.returncode != 0
    assert ('put the econ.montecarlo or econ.power call under `if __name__ == "__main__":`'
            in run.stderr)
