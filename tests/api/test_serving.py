"""serving.* (API 2.31): containers of clearml-serving register and report; the endpoint
lists, details and charts the web app reads. Actions of 2.31: called at /v2.31/."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from support.client import ApiClient
from support.server import ServerProcess, write_config


@pytest.fixture
def api(tenant: ApiClient) -> ApiClient:
    return tenant.with_version("2.31")


def report(container: str, url: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"container_id": container, "endpoint_name": "ep", "model_name": "m1", **extra}
    if url:
        body["endpoint_url"] = url
    return body


def url_of(label: str) -> str:
    return f"http://serving.example/{label}-{uuid.uuid4().hex[:6]}"


def test_a_container_registers_loads_serves_and_leaves(api: ApiClient) -> None:
    reference = [{"type": "model", "value": "abc"}]
    assert api.serving.register_container(**report("c1", model_version="3", reference=reference)) == {}
    loading = api.serving.get_loading_instances()["instances"]
    assert [(i["id"], i["endpoint"], i["model"], i["model_version"], i["url"]) for i in loading] == [
        ("c1", "ep", "m1", "3", None)
    ]
    assert loading[0]["last_update"]
    assert api.serving.get_endpoints()["endpoints"] == []

    url = url_of("a")
    stats = {"uptime_sec": 100, "requests_num": 10, "requests_min": 1.5, "latency_ms": 20}
    api.serving.container_status_report(**report("c1", url, reference=reference, **stats))
    more = {"uptime_sec": 300, "requests_num": 30, "requests_min": 2.25, "latency_ms": 41}
    api.serving.container_status_report(**report("c2", url, **more))  # never registered: registered now
    assert api.serving.get_loading_instances()["instances"] == []
    [summary] = api.serving.get_endpoints()["endpoints"]
    assert {k: v for k, v in summary.items() if k != "last_update"} == {
        "endpoint": "ep",
        "model": "m1",
        "url": url,
        "instances": 2,
        "uptime_sec": 300,
        "requests": 40,
        "requests_min": 1.88,  # the mean of 1.5 and 2.25, to 2 places
        "latency_ms": 30,  # the mean of 20 and 41, rounded
    }
    details = api.serving.get_endpoint_details(endpoint_url=url)
    assert (details["url"], details["model"], details["uptime_sec"]) == (url, "m1", 300)
    instances = {i["id"]: i for i in details["instances"]}
    assert set(instances) == {"c1", "c2"}
    assert instances["c1"]["requests"] == 10 and instances["c1"]["reference"] == reference
    assert instances["c2"]["latency_ms"] == 41 and instances["c2"]["reference"] == []

    assert api.serving.unregister_container(container_id="c1") == {}
    assert [i["id"] for i in api.serving.get_endpoint_details(endpoint_url=url)["instances"]] == ["c2"]
    assert api.serving.unregister_container(container_id="c1") == {}  # unknown: no error by default
    api.serving.unregister_container(container_id="c2")
    assert api.serving.get_endpoints()["endpoints"] == []
    assert api.call("serving.get_endpoint_details", {"endpoint_url": url}).code == (400, 1052)


def test_a_container_that_stops_reporting_is_forgotten(api: ApiClient) -> None:
    api.serving.register_container(**report("short", url_of("ttl"), timeout=1))
    assert [e["instances"] for e in api.serving.get_endpoints()["endpoints"]] == [1]
    time.sleep(2.2)
    assert api.serving.get_endpoints()["endpoints"] == []


def test_containers_are_per_company(api: ApiClient, make_tenant) -> None:  # type: ignore[no-untyped-def]
    api.serving.register_container(**report("mine", url_of("own")))
    other = make_tenant().with_version("2.31")
    assert other.serving.get_endpoints()["endpoints"] == []
    assert other.serving.get_loading_instances()["instances"] == []


def test_metrics_history_sums_or_averages_the_containers(api: ApiClient) -> None:
    url = url_of("chart")
    start = time.time()
    api.serving.container_status_report(**report("c1", url, requests_num=10, latency_ms=20))
    api.serving.container_status_report(
        **report("c2", url, requests_num=30, latency_ms=40, machine_stats={"cpu_usage": [10, 30], "memory_free": 5})
    )
    window = {"endpoint_url": url, "from_date": start - 400, "to_date": time.time() + 80, "interval": 10}
    chart = api.serving.get_endpoint_metrics_history(**window)
    assert chart["computed_interval"] == 40  # services.serving.min_chart_interval_sec
    total = chart["total"]
    assert total["title"] == "Number of Requests" and len(total["dates"]) == len(total["values"])
    assert all(b - a == 40_000 for a, b in zip(total["dates"], total["dates"][1:], strict=False))
    assert total["dates"][0] <= start * 1000 <= total["dates"][-1] + 40_000
    assert sum(total["values"]) == 40
    assert sorted(chart["instances"]) == ["c1", "c2"]
    assert sum(chart["instances"]["c1"]["values"]) == 10 and sum(chart["instances"]["c2"]["values"]) == 30
    assert chart["instances"]["c1"]["dates"] == total["dates"]

    latency = api.serving.get_endpoint_metrics_history(**window, metric_type="latency_ms", instance_charts=False)
    assert latency["instances"] == {} and latency["total"]["title"] == "Average Latency (ms)"
    assert sorted(v for v in latency["total"]["values"] if v) in ([30], [20, 40])  # one bucket or two
    cpu = api.serving.get_endpoint_metrics_history(**window, metric_type="cpu_util")
    assert sum(cpu["instances"]["c2"]["values"]) == 20 and sum(cpu["instances"]["c1"]["values"]) == 0
    count = api.serving.get_endpoint_metrics_history(**window, metric_type="cpu_count")
    assert sum(count["total"]["values"]) == 2

    empty = api.serving.get_endpoint_metrics_history(**{**window, "endpoint_url": url_of("none")})
    assert empty == {
        "computed_interval": 40,
        "total": {"title": "Number of Requests", "dates": [], "values": []},
        "instances": {},
    }


@pytest.mark.parametrize(
    ("action", "body", "code"),
    [
        ("register_container", {"endpoint_name": "e", "model_name": "m"}, (400, 12)),
        ("register_container", report(""), (400, 12)),
        ("register_container", {**report("c"), "timeout": 0}, (400, 12)),
        ("register_container", {**report("c"), "reference": [{"type": "planet", "value": "x"}]}, (400, 12)),
        ("container_status_report", {**report("c"), "requests_num": "many"}, (400, 12)),
        ("unregister_container", {}, (400, 12)),
        ("get_endpoint_details", {"endpoint_url": ""}, (400, 1052)),
        (
            "get_endpoint_metrics_history",
            {"endpoint_url": "u", "from_date": 10, "to_date": 10, "interval": 5},
            (400, 16),
        ),
        (
            "get_endpoint_metrics_history",
            {"endpoint_url": "u", "from_date": 0, "to_date": 2e9, "interval": 40},
            (400, 16),
        ),
        (  # fuzzed: was a 500 (the interval in ms did not fit the store's 64-bit integers)
            "get_endpoint_metrics_history",
            {"endpoint_url": "u", "from_date": 0.1, "to_date": 2.0, "interval": 6773293157494388736},
            (400, 16),
        ),
        (
            "get_endpoint_metrics_history",
            {"endpoint_url": "u", "from_date": 0, "to_date": 1e300, "interval": 60},
            (400, 16),
        ),
        (
            "get_endpoint_metrics_history",
            {"endpoint_url": "u", "from_date": 1, "to_date": 2, "interval": 1, "metric_type": "joy"},
            (400, 12),
        ),
        ("get_endpoints", {"extra": 1}, (400, 12)),
    ],
)
def test_bad_requests(api: ApiClient, action: str, body: dict[str, Any], code: tuple[int, int]) -> None:
    reply = api.call(f"serving.{action}", body)
    assert reply.code == code, reply.envelope
    named = {"container_id", "timeout", "type", "requests_num", "metric_type", "extra", "interval", "date"}
    if code[1] in (12, 16):  # the message names the field
        assert any(name in reply.meta["result_msg"] for name in named), reply.meta["result_msg"]


def test_served_from_2_31_only(tenant: ApiClient) -> None:
    assert tenant.call("serving.get_endpoints", {}, version="2.31").code == (200, 0)
    assert tenant.call("serving.get_endpoints", {}, version="999.0").code == (200, 0)
    assert tenant.call("serving.get_endpoints", {}, version="2.30").code != (200, 0)
    assert tenant.call("serving.get_endpoints", {}).code == (200, 0)  # unversioned: the announced 2.31
    assert tenant.call("serving.get_endpoints", {}, version="2.9").code != (200, 0)


def test_unknown_containers_are_refused_when_configured(tmp_path: Path) -> None:
    conf = write_config(
        tmp_path / "conf",
        {"services/serving.conf": "container_auto_register: false\ncontainer_auto_unregister: false\n"},
    )
    with ServerProcess(tmp_path / "data", conf) as proc:
        key, secret = proc.admin_credentials()
        api = ApiClient(proc.url, key=key, secret=secret).login().with_version("2.31")
        assert api.call("serving.container_status_report", report("nobody")).code == (400, 1051)
        assert api.call("serving.unregister_container", {"container_id": "nobody"}).code == (400, 1051)
        api.serving.register_container(**report("known"))
        assert api.call("serving.container_status_report", report("known", "http://u/1")).code == (200, 0)
        assert api.serving.unregister_container(container_id="known") == {}
