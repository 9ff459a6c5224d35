"""A result's summary: model facts and a table of formatted estimates, rendered as a Table."""

from __future__ import annotations

from dataclasses import dataclass

from econ.table import Table


@dataclass(frozen=True)
class Summary:
    """Title, model facts (label, value) and a coefficient table of formatted strings.

    Every form is written by :class:`econ.table.Table` (see :meth:`to_table`), so a summary
    escapes and lays out text exactly as the paper tables do.

    Attributes
    ----------
    title
        Caption.
    facts
        ``(label, value)`` pairs about the estimation (formula, sample, covariance, fit),
        printed in a panel under the estimates.
    header
        Column headings of the estimates.
    rows
        Estimates, already formatted as text.
    notes
        Printed beneath the table.
    """

    title: str
    facts: tuple[tuple[str, str], ...]
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()

    def to_table(self) -> Table:
        """The summary as a :class:`~econ.table.Table` (for ``write`` or further formats)."""
        return Table(self.title, self.header, self.rows, self.notes, facts=self.facts)

    def as_text(self) -> str:
        """Aligned plain text (the ``repr`` of results)."""
        return self.to_table().to_text()

    def as_html(self) -> str:
        """A self-contained HTML ``<table>`` (Jupyter display)."""
        return self.to_table().to_html()

    def as_latex(self, *, label: str | None = None) -> str:
        """A booktabs ``table`` float; ``label`` adds ``\\label{label}``."""
        return self.to_table().to_latex(label=label)

    def as_markdown(self) -> str:
        """A Markdown pipe table."""
        return self.to_table().to_markdown()

    def as_csv(self) -> str:
        """The estimates as CSV (the facts and notes are not part of the grid)."""
        return self.to_table().to_csv()

    def __str__(self) -> str:
        return self.as_text()

    def _repr_html_(self) -> str:
        return self.as_html()


class SummaryDisplay:
    """Text ``repr`` and Jupyter HTML from the class's ``summary()``.

    Dataclasses using it must pass ``repr=False`` so that the generated ``__repr__`` does not
    replace this one.
    """

    def __repr__(self) -> str:
        return self.summary().as_text()  # type: ignore[attr-defined]

    def _repr_html_(self) -> str:
        return self.summary().as_html()  # type: ignore[attr-defined]
