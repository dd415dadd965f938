"""Unit tests of the ES 5.6 → 7 migration's pieces that need no Elasticsearch
(the end-to-end tests with real nodes are tests/api/test_migrate_es.py)."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import mongomock
import pytest

from stationmaster.database.migration import state as st
from stationmaster.database.migration.command import add_migrate_es_parser
from stationmaster.database.migration.convert import convert
from stationmaster.database.migration.guard import cluster_urls, legacy_version
from stationmaster.database.migration.http import EsError, EsHttp, total_hits
from stationmaster.database.migration.progress import Progress
from stationmaster.database.migration.run import MigrationError, Options, _plan
from stationmaster.database.migration.source import SourceIndex, family_of
from stationmaster.database.migration.verify import compare


class _Config:
    def __init__(self, values: dict) -> None:
        self.values = values

    def get(self, key: str, default: object = None) -> object:
        return self.values.get(key, default)


def test_convert_drops_metadata_fields_only() -> None:
    doc = {"task": "t", "value": 1.5, "_type": "event", "_routing": "t", "iter": 3}
    assert convert(doc) == {"task": "t", "value": 1.5, "iter": 3}
    clean = {"task": "t", "metric": "_loss"}
    assert convert(clean) is clean


def test_compare_names_every_differing_field_by_path() -> None:
    expected = {"a": 1, "b": {"c": 2, "d": 3}, "gone": 1}
    actual = {"a": 2, "b": {"c": 2, "d": 4}, "extra": True}
    assert compare(expected, actual) == [
        "field a: source 1, destination 2",
        "field b.d: source 3, destination 4",
        "field extra unexpected",
        "field gone missing",
    ]
    assert compare(expected, dict(expected)) == []


def test_families_of_the_reference_indices() -> None:
    assert family_of("events-training_stats_scalar-abc") == "events-*"
    assert family_of("worker_stats_abc_2020-05") == "worker_stats_*"
    assert family_of("queue_metrics_abc_2020-05") == "queue_metrics_*"
    assert family_of("tasks") is None and family_of(".kibana") is None


def test_resume_skips_only_indices_verified_with_the_same_count() -> None:
    indices = [SourceIndex("events-log-a", 10), SourceIndex("events-log-b", 10), SourceIndex("events-log-c", 10)]
    records = {
        "events-log-a": {"status": st.VERIFIED, "source_docs": 10},
        "events-log-b": {"status": st.VERIFIED, "source_docs": 9},  # the source grew since
        "events-log-c": {"status": st.COPYING, "source_docs": 10},
    }
    todo, skipped = _plan(Options("s", "d", resume=True), indices, records)
    assert [i.name for i in skipped] == ["events-log-a"]
    assert [i.name for i in todo] == ["events-log-b", "events-log-c"]
    todo, skipped = _plan(Options("s", "d"), indices, records)
    assert len(todo) == 3 and not skipped
    with pytest.raises(MigrationError, match="events-log-x is close"):
        _plan(Options("s", "d"), [SourceIndex("events-log-x", 0, "close")], {})


def test_progress_lines_show_rate_eta_and_overall() -> None:
    out = io.StringIO()
    progress = Progress(total=300, out=out, interval=0.0)
    progress.start_index("events-log-a", 100)
    progress.advance("events-log-a", 50)
    progress.finish_index("events-log-a")
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("  events-log-a: 50/100 (50%) ")
    assert "docs/s ETA " in lines[0] and "| overall 50/300 (17%)" in lines[0]
    assert progress.done == 50


def test_cluster_urls_from_the_hosts_configuration() -> None:
    assert cluster_urls(_Config({})) == []
    config = _Config(
        {
            "hosts.elastic.events.hosts": [{"host": "es7", "port": 9211}],
            "hosts.elastic.workers.hosts": [{"host": "es7", "port": 9211}],
        }
    )
    assert cluster_urls(config) == ["http://es7:9211"]
    config.values["hosts.elastic.workers.hosts"] = ["https://stats:9200"]
    assert cluster_urls(config) == ["http://es7:9211", "https://stats:9200"]


def test_legacy_version_reads_the_reference_versions_collection() -> None:
    db = mongomock.MongoClient().db
    assert legacy_version(db) is None
    db["versions"].insert_many([{"_id": "1", "num": "0.9.0"}, {"_id": "2", "num": "0.15.1"}])
    assert legacy_version(db) == "0.15.1"
    db["versions"].insert_one({"_id": "3", "num": "0.16.0"})
    assert legacy_version(db) is None


@pytest.mark.parametrize(
    "args, message",
    [
        (["--dest", "http://b"], "--source"),
        (["--source", "http://a", "--dest", "http://b", "--parallel", "0"], "must be 1 to 64"),
        (["--source", "http://a", "--dest", "http://b", "--batch-size", "x"], "not a whole number"),
    ],
)
def test_command_line_errors(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="stationmaster")
    add_migrate_es_parser(parser.add_subparsers())
    with pytest.raises(SystemExit) as exit_info:
        parser.parse_args(["migrate-es", *args])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.fixture
def flaky_es() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server answering 429 once, then ES-shaped JSON or errors."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: object) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:
            seen.append(self.path)
            if self.path == "/busy" and seen.count("/busy") == 1:
                self._send(429, {"error": {"type": "es_rejected_execution_exception", "reason": "queue full"}})
            elif self.path == "/missing":
                self._send(404, {"error": {"type": "index_not_found_exception", "reason": "no such index [x]"}})
            else:
                self._send(200, {"version": {"number": "5.6.16"}})

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_http_client_retries_429_and_reports_errors(flaky_es: tuple[str, list[str]]) -> None:
    url, seen = flaky_es
    es = EsHttp(url, retries=2)
    assert es.get("/busy") == {"version": {"number": "5.6.16"}}
    assert seen.count("/busy") == 2
    assert es.version() == (5, 6, 16) and es.major == 5
    with pytest.raises(EsError, match="404: index_not_found_exception: no such index") as err:
        es.get("/missing")
    assert err.value.status == 404
    assert es.get("/missing", ok=(404,))["error"]["type"] == "index_not_found_exception"
    es.close()


def test_total_hits_both_shapes() -> None:
    assert total_hits({"total": 7}) == 7
    assert total_hits({"total": {"value": 8, "relation": "eq"}}) == 8


def test_ctrl_c_while_a_page_is_being_written_stops_the_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stop set between a page's bulk write and its progress count: the writer keeps
    draining, the scroll ends and the copy reports the interruption (it hung before)."""
    from stationmaster.database.migration import copy as copy_module
    from stationmaster.database.migration.progress import Interrupted

    progress = Progress(10_000, io.StringIO())
    progress.start_index("i", 10_000)

    def pages(*_: object, **__: object) -> Iterator[list[dict[str, object]]]:
        for n in range(100):
            yield [{"_id": f"{n}-{k}", "_source": {"k": k}} for k in range(3)]

    def bulk(*_: object) -> None:
        progress.stop.set()  # Ctrl-C lands now: the count after this write raises Interrupted

    monkeypatch.setattr(copy_module, "scroll_pages", pages)
    monkeypatch.setattr(copy_module, "bulk_index", bulk)
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            copy_module.copy_scroll(None, None, "i", 3, progress)  # type: ignore[arg-type]
        except BaseException as ex:  # inspected below
            outcome.append(ex)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "the copy hung after the interruption"
    assert len(outcome) == 1 and isinstance(outcome[0], Interrupted)
