"""HostGate keeps only the hosts that still constrain a request, and forgetting one never loosens politeness."""

from __future__ import annotations

import threading
import time

from newsbeam.connectors.http.politeness import SWEEP_AT, HostGate


def touch_many(gate: HostGate, count: int) -> None:
    """One request to each of `count` hosts no other test uses."""
    for index in range(count):
        with gate.slot(f"h{index}.example"):
            pass


def test_many_idle_hosts_leave_the_gate_bounded():
    gate = HostGate(min_interval=0.0, max_per_host=2)
    touch_many(gate, 5 * SWEEP_AT)
    assert len(gate._hosts) <= SWEEP_AT


def test_a_host_owing_its_interval_is_kept_and_a_forgotten_one_comes_back_spaced():
    gate = HostGate(min_interval=0.0, max_per_host=1, host_intervals={"slow.example": 0.3})
    with gate.slot("slow.example"):
        first = time.monotonic()
    touch_many(gate, 2 * SWEEP_AT)
    assert "slow.example" in gate._hosts  # its interval has not passed: it still constrains
    with gate.slot("slow.example"):
        second = time.monotonic()
    assert second - first >= 0.3
    time.sleep(0.35)
    touch_many(gate, 2 * SWEEP_AT)
    assert "slow.example" not in gate._hosts  # idle: forgotten
    with gate.slot("slow.example"):
        third = time.monotonic()
    with gate.slot("slow.example"):
        fourth = time.monotonic()
    assert fourth - third >= 0.3


def test_retry_after_outlives_sweeps():
    gate = HostGate(min_interval=0.0, max_per_host=2)
    gate.defer("busy.example", 0.5)
    deferred = time.monotonic()
    touch_many(gate, 3 * SWEEP_AT)
    with gate.slot("busy.example"):
        started = time.monotonic()
    assert started - deferred >= 0.5


def test_crawl_delay_raise_counts_from_the_last_start():
    """The fetcher applies `Crawl-delay` before each request; a host forgotten in between
    must still space its next request by the delay, counted from the start it just made."""
    gate = HostGate(min_interval=0.0, max_per_host=1)
    with gate.slot("delay.example"):
        first = time.monotonic()
    gate.slow_down("delay.example", 0.3)
    with gate.slot("delay.example"):
        second = time.monotonic()
    assert second - first >= 0.3


def test_per_host_concurrency_holds_while_sweeps_run():
    gate = HostGate(min_interval=0.0, max_per_host=2)
    inside = 0
    most = 0
    count_lock = threading.Lock()

    def request() -> None:
        nonlocal inside, most
        with gate.slot("capped.example"):
            with count_lock:
                inside += 1
                most = max(most, inside)
            time.sleep(0.05)
            with count_lock:
                inside -= 1

    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(0.02)
    while any(thread.is_alive() for thread in threads):
        touch_many(gate, SWEEP_AT)  # sweeps while capped.example has slots held and waited for
    for thread in threads:
        thread.join()
    assert most == 2
    touch_many(gate, 3 * SWEEP_AT)
    assert "capped.example" not in gate._hosts
