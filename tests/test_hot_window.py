"""The hot window's expiring map: keys leave a horizon after they were last touched."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from newsbeam.pipelines.hot_window import ExpiringMap

T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)


def test_keys_leave_a_horizon_after_they_were_last_touched():
    held: ExpiringMap[str, str] = ExpiringMap(3 * HOUR)
    held.put("a", "1", T0)
    held.put("b", "2", T0 + HOUR)
    held.put("a", "3", T0 + 2 * HOUR)  # touched again: lives on from here
    held.put("c", "4", T0 + 4 * HOUR + timedelta(seconds=1))
    assert held.expire() == [("b", "2")]
    assert held.get("a") == "3" and "b" not in held and len(held) == 2
    held.put("d", "5", T0 + 6 * HOUR)
    assert held.expire() == [("a", "3")]
    assert held.entry("c") == ("4", T0 + 4 * HOUR + timedelta(seconds=1))
    assert held.entry("a") is None


def test_setdefault_keeps_the_first_value_and_renews_its_time():
    held: ExpiringMap[str, str] = ExpiringMap(HOUR)
    assert held.setdefault("key", "first", T0) == "first"
    assert held.setdefault("key", "second", T0 + 50 * timedelta(minutes=1)) == "first"
    held.put("other", "x", T0 + 90 * timedelta(minutes=1))
    assert held.expire() == []
    assert held.entry("key") == ("first", T0 + 50 * timedelta(minutes=1))


def test_a_key_without_a_time_is_touched_at_the_watermark():
    held: ExpiringMap[str, str] = ExpiringMap(HOUR)
    held.put("dated", "1", T0)
    held.put("undated", "2", None)
    assert held.entry("undated") == ("2", T0)


def test_unsaved_collects_keys_put_renewed_and_expired_once_saving_starts():
    held: ExpiringMap[str, str] = ExpiringMap(HOUR)
    held.put("before", "1", T0)
    assert held.unsaved is None
    held.unsaved = set()
    held.setdefault("before", "ignored", T0 + timedelta(minutes=10))
    held.put("new", "2", T0 + 2 * HOUR)
    held.expire()
    assert held.unsaved == {"before", "new"} and "before" not in held


def test_a_restored_map_expires_the_same_keys_at_the_same_times():
    def touches(start: int):
        for minute in range(start, start + 600):
            yield f"k{minute % 97}", str(minute), T0 + timedelta(minutes=minute)

    original: ExpiringMap[str, str] = ExpiringMap(HOUR)
    for key, value, when in touches(0):
        original.put(key, value, when)
        original.expire()
    restored: ExpiringMap[str, str] = ExpiringMap(HOUR)
    restored.restore([(key, *original.entry(key)) for key in original.keys()], original.watermark)
    for key, value, when in touches(600):
        original.put(key, value, when)
        restored.put(key, value, when)
        assert restored.expire() == original.expire()
    assert sorted(restored.keys()) == sorted(original.keys())


def test_what_is_held_follows_the_arrival_rate_not_the_number_of_keys():
    held: ExpiringMap[int, int] = ExpiringMap(HOUR)
    sizes = []
    for minute in range(20_000):
        held.put(minute, minute, T0 + timedelta(minutes=minute))
        expired = held.expire()
        assert len(expired) <= 1
        sizes.append(len(held))
    assert max(sizes[100:]) == 61


def test_touches_out_of_time_order_leave_in_time_order_when_the_watermark_passes_them():
    """Late touches (a stream's late arrivals, a merged event's older time) take the slow
    path; keys still leave exactly when, and in the order, a plain scan says."""
    rng = random.Random(11)
    held: ExpiringMap[str, int] = ExpiringMap(HOUR)
    latest: dict[str, tuple[datetime, int]] = {}  # the scan's model: key → (last touched, touch number)
    watermark = T0
    for step in range(5000):
        key = f"k{rng.randrange(300)}"
        when = T0 + timedelta(minutes=step) - (timedelta(minutes=rng.randrange(90)) if rng.random() < 0.2 else timedelta())
        held.put(key, step, when)
        watermark = max(watermark, when)
        if key not in latest or latest[key][0] < when:
            latest[key] = (when, step)
        due = sorted((touched, key) for key, touched in latest.items() if touched[0] < watermark - HOUR)
        for _, key in due:
            del latest[key]
        assert [key for key, _ in held.expire()] == [key for _, key in due]
    assert sorted(held.keys()) == sorted(latest)
