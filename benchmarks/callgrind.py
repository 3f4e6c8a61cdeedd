"""Instructions executed, counted by valgrind's callgrind.

CPU time on a shared virtual machine drifts by a third or more between two runs
of the same code; the number of instructions a piece of Python executes does
not. Benchmarks run a child command under callgrind once per variant ("only
the warm-up", "warm-up and N articles through stage X") and divide the
differences by N.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys


def available() -> bool:
    return shutil.which("valgrind") is not None


def count(commands: dict[str, list[str]]) -> dict[str, int]:
    """Instructions each `python -m ...` command (arguments after the interpreter) executed.

    All commands run at once, each under its own callgrind: the counts do not
    depend on how busy the machine is, only the wall time does.
    """
    # One BLAS thread: an idle OpenBLAS worker spins, and callgrind would count its spinning.
    # One hash seed for every variant: with randomized string hashing, sets and dicts
    # iterate in another order in each process, and the variants' counts would differ
    # by more than the work they are meant to compare.
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
    running = {
        name: subprocess.Popen(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
                                *arguments], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for name, arguments in commands.items()
    }
    return {name: _collected(process) for name, process in running.items()}


def _collected(process: subprocess.Popen) -> int:
    _, err = process.communicate()
    found = re.search(rf"=={process.pid}== Collected : (\d+)", err)
    if process.returncode != 0 or not found:
        raise RuntimeError(f"callgrind run failed (exit {process.returncode}):\n{err[-2000:]}")
    return int(found.group(1))
