"""Partitioned simulation reports progress county by county without changing the files."""

from __future__ import annotations

import econ


def test_progress_is_called_per_county_and_changes_nothing(tmp_path):
    calls: list[tuple[int, int]] = []
    with_bar = econ.simulate.write_partitions(tmp_path / "a", config="wp", seed=4,
                                              villages_per_chunk=100,
                                              progress=lambda d, t: calls.append((d, t)))
    plain = econ.simulate.write_partitions(tmp_path / "b", config="wp", seed=4,
                                           villages_per_chunk=100)
    assert calls == [(1, 2), (2, 2)]
    assert [p.read_bytes() for p in with_bar] == [p.read_bytes() for p in plain]
