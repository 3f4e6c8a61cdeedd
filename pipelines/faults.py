"""Deterministic crash points between the commit steps, for fault-injection tests.

Every path commits in one order: index writes, then the clustering state, then
the sources' seen-marks. Each step ends at a named crash point; setting
`NEWSBEAM_CRASH_AT` to that name makes the process fail right there, as a
power cut would, so tests can show that re-running (batch) or restarting
(streaming) repairs it. Unset, a crash point costs one dictionary look-up.
"""

from __future__ import annotations

import os

#: The crash points, in commit order.
POINTS = ("index_written", "state_saved", "seen_saved")
ENVIRONMENT = "NEWSBEAM_CRASH_AT"


class InjectedCrash(RuntimeError):
    """The failure a crash point raises."""


def crash_point(name: str) -> None:
    """Fail here when `NEWSBEAM_CRASH_AT` names this point."""
    if os.environ.get(ENVIRONMENT) == name:
        raise InjectedCrash(f"injected crash after {name.replace('_', ' ')} ({ENVIRONMENT}={name})")
