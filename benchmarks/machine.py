"""One line saying what a benchmark ran on.

The same code measured 2.3× apart on two sessions' machines of the same kind,
so a figure without the processor it came from cannot be compared with another.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path


def _cpuinfo() -> str:
    try:
        return Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def describe() -> str:
    """E.g. "AMD EPYC (virtual machine), 2 CPUs, x86_64, Python 3.11.7"."""
    info = _cpuinfo()
    model = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")),
                 platform.processor() or "unknown CPU")
    guest = " (virtual machine)" if " hypervisor" in info else ""
    return f"{model}{guest}, {os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}"
