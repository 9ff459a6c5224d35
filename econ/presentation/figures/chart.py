"""The :class:`Chart` every plot returns, and its reproducible PNG, PDF and SVG files."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine

from econ.presentation.figures.pdf_fonts import lean_subsets
from econ.presentation.figures.style import STYLE, styled

# Keys set to None are left out of the file; without a date or version string, saving is a
# pure function of the figure.
_METADATA: dict[str, dict[str, Any]] = {
    "png": {"Software": None},
    "pdf": {"CreationDate": None, "Producer": None, "Creator": None},
    "svg": {"Date": None, "Creator": None},
}


@dataclass(frozen=True, eq=False, repr=False)
class Chart:
    """A finished figure and exactly the numbers it shows.

    Attributes
    ----------
    figure
        The matplotlib figure (object-oriented API, Agg canvas).
    data
        Tidy frame with one row per plotted point; each plot function documents its columns.
    title
        The title drawn above the axes (may be empty).
    style
        The rcParams the figure was drawn with (:data:`STYLE` plus the font chain); they are
        applied again when the figure is saved or rendered.
    """

    figure: Figure
    data: pd.DataFrame
    title: str
    style: Mapping[str, Any] = field(default_factory=lambda: dict(STYLE))

    def __repr__(self) -> str:
        width, height = self.figure.get_size_inches()
        return (f"Chart(title={self.title!r}, points={len(self.data)}, "
                f"size={width:g}x{height:g} in)")

    def save(self, stem: str | Path, *, formats: Sequence[str] = ("png", "pdf"),
             dpi: float = 300) -> list[Path]:
        """Write the figure as ``stem.png``, ``stem.pdf`` (and ``stem.svg`` if asked).

        Output is deterministic: timestamps and the software version are left out of the
        metadata, so the same figure gives the same bytes on the same matplotlib version.
        The PDF embeds its fonts as TrueType (Type 42) subsets, without the OpenType layout
        tables no PDF viewer reads (:mod:`econ.presentation.figures.pdf_fonts`).

        Parameters
        ----------
        stem
            Path without extension; parent folders are created. A dot in the stem is kept
            (``fig.v2`` becomes ``fig.v2.png``).
        formats
            Any of ``"png"``, ``"pdf"`` and ``"svg"``.
        dpi
            Resolution of the PNG (the PDF and SVG are vector graphics).

        Returns
        -------
        list of Path
            The files written, in the order of ``formats``.

        Raises
        ------
        ValueError
            On a format other than those three.
        """
        unknown = [f for f in formats if f not in _METADATA]
        if unknown:
            raise ValueError(f"unsupported format(s) {unknown}; choose from "
                             f"{sorted(_METADATA)}")
        base = Path(stem)
        base.parent.mkdir(parents=True, exist_ok=True)
        written = []
        for fmt in formats:
            path = base.with_name(f"{base.name}.{fmt}")
            self._write(path, fmt, dpi)
            written.append(path)
        return written

    def to_png(self, *, dpi: float = 150) -> bytes:
        """The figure as PNG bytes (deterministic, like :meth:`save`)."""
        buffer = io.BytesIO()
        self._write(buffer, "png", dpi)
        return buffer.getvalue()

    def _write(self, target: Path | io.BytesIO, fmt: str, dpi: float) -> None:
        with styled(self.style):
            engine = self.figure.get_layout_engine()
            if isinstance(engine, ConstrainedLayoutEngine):
                # Each constrained-layout pass measures the artists where the previous pass
                # left them (tick labels, a legend anchored to the axes, a fixed aspect), so
                # successive saves could differ by a fraction of a point. Two passes settle
                # the layout; freezing it then makes every save the same bytes. The passes
                # run the engine alone: an unrendered draw of the whole figure around each
                # (draw_without_rendering) changes nothing the layout or the file depends on
                # and costs a quarter more.
                for _ in range(2):
                    engine.execute(self.figure)
                # None rather than "none": the string installs an inert engine object, and
                # savefig then draws the whole figure once more, unrendered, before every save.
                # The style keeps matplotlib from putting a default engine in its place.
                self.figure.set_layout_engine(None)
            with lean_subsets() if fmt == "pdf" else nullcontext():
                self.figure.savefig(target, format=fmt, dpi=dpi,
                                    metadata=dict(_METADATA[fmt]))

    def _repr_png_(self) -> bytes:
        return self.to_png()
