"""Memory the process may still use, and byte counts for messages (shared by the up-front estimates).

Both :mod:`qcoord.system` (the simulator) and :mod:`qcoord.games` (the see-saw) refuse work whose
estimated memory exceeds what the machine has; this module is their one source for that figure. It
imports nothing of qcoord, so no layer depends on another through it.
"""

from __future__ import annotations

import os

__all__ = ["available_memory", "format_bytes"]


def available_memory() -> int | None:
    """Bytes of memory this process may still use: ``MemAvailable`` of ``/proc/meminfo`` (else
    ``SC_PAGE_SIZE * SC_AVPHYS_PAGES``), capped by a cgroup memory limit minus its usage; ``None``
    when the platform tells nothing."""
    avail: int | None = None
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        pass
    if avail is None:
        try:
            avail = int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_AVPHYS_PAGES"))
        except (AttributeError, ValueError, OSError):
            avail = None
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"),
    ):
        try:
            with open(limit_file, encoding="ascii") as fh:
                limit_text = fh.read().strip()
            with open(usage_file, encoding="ascii") as fh:
                usage = int(fh.read().strip())
        except (OSError, ValueError):
            continue
        if limit_text.isdigit() and int(limit_text) < 2**60:  # "max" / a huge number: no limit
            room = max(int(limit_text) - usage, 0)
            avail = room if avail is None else min(avail, room)
        break
    return avail


def format_bytes(nbytes: float) -> str:
    """A byte count for messages: ``"238 GiB"``, ``"931 TiB"`` (binary units, three digits)."""
    value, unit = nbytes / 2**30, "GiB"
    for bigger in ("TiB", "PiB", "EiB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{value:.3g} {unit}"
