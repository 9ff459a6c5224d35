"""Progress of a long computation, drawn on a terminal (standard error).

A bootstrap with many replications on a large panel can run for minutes; on a terminal the
user should see that it is working and how far it is. Nothing is drawn when standard error is
not a terminal (a log file, a test, a pipe), in a Jupyter kernel, or for a job that ends within
``after`` seconds, so scripted runs and their outputs are never touched. ``show=True`` (or the
environment variable ``ECON_PROGRESS=1``) forces the display, ``show=False`` (or
``ECON_PROGRESS=0``) turns it off.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

#: Environment variable that forces progress on (``1``) or off (``0``).
ENVIRONMENT = "ECON_PROGRESS"
_REDRAW = 0.2  # seconds between two redraws of the line


def progress_wanted(show: bool | None, stream: TextIO) -> bool:
    """Whether to draw progress on ``stream``: ``show`` if given, else the environment
    variable, else only on a terminal outside a Jupyter kernel."""
    if show is not None:
        return bool(show)
    setting = os.environ.get(ENVIRONMENT)
    if setting is not None:
        return setting.strip().lower() not in ("", "0", "false", "no", "off")
    if "ipykernel" in sys.modules:
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


class Progress:
    """A one-line counter ``label: done/total (percent), elapsed, left`` redrawn in place.

    Parameters
    ----------
    label
        What is running ("wild bootstrap of x = 0").
    total
        Units of work (replications).
    show
        ``True`` draws from the start, ``False`` never, ``None`` (default) decides by
        :func:`progress_wanted` and waits ``after`` seconds before drawing anything.
    stream
        Where to draw (default ``sys.stderr``).
    after
        Seconds a job must run before it is shown (when ``show`` is ``None``).
    clock
        Monotonic seconds (replaced in tests).

    Use as a context manager; :meth:`advance` may be called from several threads.
    """

    def __init__(self, label: str, total: int, *, show: bool | None = None,
                 stream: TextIO | None = None, after: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.label = label
        self.total = max(int(total), 1)
        self.stream = sys.stderr if stream is None else stream
        self.active = progress_wanted(show, self.stream)
        self.after = 0.0 if show else after
        self.clock = clock
        self.done = 0
        self.started = clock()
        self.drawn_at: float | None = None
        self._lock = threading.Lock()

    def advance(self, units: int = 1) -> None:
        """Count ``units`` more done and redraw the line if it is due."""
        if not self.active:
            return
        with self._lock:
            self.done = min(self.done + int(units), self.total)
            now = self.clock()
            due = now - self.started >= self.after and (
                self.drawn_at is None or now - self.drawn_at >= _REDRAW
                or self.done == self.total)
            if due:
                self._draw(now)

    def close(self) -> None:
        """End the line (only if anything was drawn)."""
        if self.active and self.drawn_at is not None:
            with self._lock:
                self._draw(self.clock())
                self.stream.write("\n")
                self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def _draw(self, now: float) -> None:
        elapsed = now - self.started
        share = self.done / self.total
        left = elapsed * (1 - share) / share if share > 0 else float("nan")
        remaining = f", about {_duration(left)} left" if 0 < share < 1 else ""
        self.stream.write(f"\r{self.label}: {self.done:,}/{self.total:,} ({share:.0%}), "
                          f"{_duration(elapsed)}{remaining}\033[K")
        self.stream.flush()
        self.drawn_at = now


def _duration(seconds: float) -> str:
    if seconds != seconds:  # nan
        return "?"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s" if minutes else f"{rest}s"
