"""The connector benchmark's verdict: decided by the whole interval, not one noisy figure."""

import random

from benchmarks.fetch_extract import overhead_interval, verdict


def _pairs(overhead: float, noise: float, count: int = 100) -> list[tuple[float, float]]:
    rng = random.Random(5)
    pairs = []
    for _ in range(count):
        alone = rng.uniform(0.8, 1.2)
        pairs.append((alone, alone * (1 + overhead) * rng.uniform(1 - noise, 1 + noise)))
    return pairs


def test_the_interval_brackets_the_ratio_of_the_sums():
    pairs = _pairs(0.07, 0.2)
    alone, connector = sum(a for a, _ in pairs), sum(c for _, c in pairs)
    low, high = overhead_interval(pairs)
    assert low < (connector - alone) / alone < high
    assert overhead_interval(pairs) == (low, high)  # the same pairs, the same interval


def test_met_only_when_the_whole_interval_is_within_the_target():
    assert verdict(*overhead_interval(_pairs(0.04, 0.02))) == "met"
    assert verdict(*overhead_interval(_pairs(0.20, 0.02))) == "NOT met"
    # Half the pairs at 0%, half at 20%: 10% in all, and the interval on both sides of it.
    assert verdict(*overhead_interval([(1.0, 1.0), (1.0, 1.2)] * 50)).startswith("undecided")
