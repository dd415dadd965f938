"""bll.serving.chart_values: what of a status report goes to the serving charts."""

from __future__ import annotations

from stationmaster.bll.serving import chart_values


def test_numbers_beyond_single_precision_are_left_out_as_non_finite_ones() -> None:
    values = chart_values({"requests_min": 1e308, "requests_num": 5, "latency_ms": float("nan"), "uptime_sec": -1e39})
    assert values == {"requests_num": 5.0}


def test_a_list_of_per_core_values_is_averaged_without_the_unusable_ones() -> None:
    values = chart_values({"machine_stats": {"cpu_usage": [10, 30, 1e300, "x"]}})
    assert values == {"cpu_usage": 20.0, "cpu_num": 2.0}
