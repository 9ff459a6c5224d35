"""Peak-memory helpers shared by the benchmarks that measure in fresh child processes."""

from __future__ import annotations

import re
import resource
from pathlib import Path


def current_mib(field: str = "VmRSS") -> float:
    """A size field of /proc/self/status, in MiB."""
    text = Path("/proc/self/status").read_text()
    match = re.search(rf"{field}:\s+(\d+) kB", text)
    if match is None:
        raise RuntimeError(f"no {field} in /proc/self/status")
    return int(match.group(1)) / 1024


def reset_peak() -> bool:
    """Reset this process's peak-resident mark (Linux >= 4.0); False where not permitted."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_mib() -> float:
    """This process's peak resident memory, in MiB, since its start or the last
    :func:`reset_peak` (``VmHWM``, which the reset lowers; ``ru_maxrss`` never goes down)."""
    try:
        return current_mib("VmHWM")
    except (OSError, RuntimeError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
