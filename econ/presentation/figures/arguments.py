"""Checks and defaults of arguments that several plots share."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd


def coverage_percent(level: float) -> str:
    """``0.95`` as ``"95%"``, for legends.

    Raises
    ------
    ValueError
        Unless ``0 < level < 1``.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    return f"{100 * level:.10g}%"


def is_simulated(simulated: bool | None, source: object) -> bool:
    """``simulated`` when given, else the ``simulated`` attribute of ``source`` (or False)."""
    if simulated is not None:
        return bool(simulated)
    return bool(getattr(source, "simulated", False))


def require_columns(frame: pd.DataFrame, columns: Iterable[str | None], where: str) -> None:
    """Raise unless ``frame`` has every named column (``None`` entries are skipped).

    Raises
    ------
    ValueError
        Naming the missing columns and listing the available ones.
    """
    wanted = [c for c in columns if c is not None]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise ValueError(f"{where}: column(s) {missing} not found; available: "
                         f"{[str(c) for c in frame.columns]}")
