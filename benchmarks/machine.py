"""One line saying what a benchmark ran on.

The same code measured 2.3× apart on two sessions' machines of the same kind,
so a figure without the processor it came from cannot be compared with another.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path


def _cpu_model() -> str:
    try:
        info = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return platform.processor() or "unknown CPU"
    for line in info.splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def _virtualised() -> bool:
    try:
        return " hypervisor" in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def describe() -> str:
    """E.g. "AMD EPYC (virtual machine), 2 CPUs, x86_64, Python 3.11.7"."""
    guest = " (virtual machine)" if _virtualised() else ""
    return (f"{_cpu_model()}{guest}, {os.cpu_count()} CPUs, {platform.machine()}, "
            f"Python {platform.python_version()}")
