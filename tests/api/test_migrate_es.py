"""``stationmaster migrate-es`` end to end: a real Elasticsearch 5.6.16 source (Maven
Central jars, tests/services/elasticsearch5) holding reference-server ≤ 0.15 data, a
real Elasticsearch 7.17 destination, the command run as a process; plus the server's
start-up guard."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.server import ServerProcess
from support.services import elasticsearch_node, unavailable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "services" / "elasticsearch5"))
import es5_data as data  # noqa: E402
from es5_node import Es5Node  # noqa: E402

pytestmark = pytest.mark.es

COMPANIES = ("c0ffee00000000000000000000000001", "c0ffee00000000000000000000000002", "c0ffee00000000000000000000000003")
MARKER = "stationmaster_migration"


def _generate() -> Iterator[tuple]:
    # 3 companies × 3 tasks × 2,900 iterations × 4 series = 104,400 scalars, plus
    # 4 × 60 other events per task and 2 × 150 statistics documents per company.
    for c, company in enumerate(COMPANIES):
        for t in range(3):
            task = f"task{c}{t}" + "0" * 25
            yield from data.scalar_events(company, task, 2900)
            yield from data.other_events(company, task, 60)
        yield from data.stats_docs(company, 150)


@pytest.fixture(scope="module")
def es5() -> Iterator[str]:
    """An Elasticsearch 5.6 node loaded with the reference's ES 5 templates and data."""
    if not os.environ.get("JAVA_HOME") and not __import__("shutil").which("java"):
        unavailable("java is not installed")
    node = Es5Node()
    try:
        url = node.start()
    except Exception as exc:  # the build needs Maven Central
        unavailable(f"Elasticsearch 5.6 node did not start: {exc}")
    try:
        data.install_es5_templates(url)
        data.bulk_load(url, _generate())
        yield url
    finally:
        node.stop()


@pytest.fixture(scope="module")
def es7() -> Iterator[str]:
    """An Elasticsearch 7.17 node allowed to reindex from loopback nodes."""
    with elasticsearch_node(settings={"reindex.remote.whitelist": "127.0.0.1:*"}) as url:
        yield url


@pytest.fixture
def dest(es7: str) -> str:
    """The destination emptied of everything a migration writes."""
    for pattern in ("events-*", "worker_stats_*", "queue_metrics_*", MARKER):
        data.request(f"{es7}/{pattern}?allow_no_indices=true&ignore_unavailable=true", "DELETE")
    return es7


def migrate(source: str, dest: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "stationmaster.server.cli", "migrate-es", "--source", source, "--dest", dest, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def indices(url: str, pattern: str = "events-*,worker_stats_*,queue_metrics_*") -> dict[str, int]:
    rows = data.request(f"{url}/_cat/indices/{pattern}?format=json&h=index")
    return {row["index"]: data.request(f"{url}/{row['index']}/_count")["count"] for row in rows}


def all_docs(url: str, index: str) -> dict[str, dict[str, Any]]:
    """id → hit (with _source) of every document, by scroll."""
    page = data.request(f"{url}/{index}/_search?scroll=2m", "POST", {"size": 5000, "sort": ["_doc"]})
    found = {}
    while page["hits"]["hits"]:
        found.update({h["_id"]: h for h in page["hits"]["hits"]})
        page = data.request(f"{url}/_search/scroll", "POST", {"scroll": "2m", "scroll_id": page["_scroll_id"]})
    data.request(f"{url}/_search/scroll", "DELETE", {"scroll_id": [page["_scroll_id"]]})
    return found


def records(url: str) -> dict[str, dict[str, Any]]:
    data.request(f"{url}/{MARKER}/_refresh", "POST")
    res = data.request(f"{url}/{MARKER}/_search", "POST", {"size": 1000})
    return {h["_id"]: h["_source"] for h in res["hits"]["hits"]}


def test_full_migration_copies_every_document_exactly(es5: str, dest: str) -> None:
    before = indices(es5)
    assert sum(before.values()) > 100_000
    assert len(before) == 3 * 7  # 5 event types + 2 statistics indices per company

    result = migrate(es5, dest, "--parallel", "3")

    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Elasticsearch 5.6.16" in out and "Elasticsearch 7.17.29" in out
    assert "docs/s" in out and "ETA" in out and "overall" in out
    assert f"all {len(before)} indices verified" in out
    assert indices(dest) == before
    assert indices(es5) == before  # the source is untouched
    for index in before:
        src, dst = all_docs(es5, index), all_docs(dest, index)
        assert src.keys() == dst.keys(), index
        for doc_id, hit in src.items():
            assert dst[doc_id]["_source"] == hit["_source"], (index, doc_id)
            assert dst[doc_id]["_type"] == "_doc" and "_routing" not in dst[doc_id]
        if index.startswith("events-"):  # the source keeps its ES 5 type and routing
            assert hit["_type"] == "event" and hit["_routing"] == hit["_source"]["task"]
        else:
            assert hit["_type"] == ("stat" if index.startswith("worker_stats_") else "metrics")
    # typeless destination mappings from the event store's ES 7 templates
    mapping = data.request(f"{dest}/events-training_stats_scalar-{COMPANIES[0]}/_mapping")
    props = mapping[f"events-training_stats_scalar-{COMPANIES[0]}"]["mappings"]["properties"]
    assert props["value"]["type"] == "float" and props["metric"]["type"] == "keyword"
    source_mapping = data.request(f"{es5}/events-log-{COMPANIES[0]}/_mapping")
    assert source_mapping[f"events-log-{COMPANIES[0]}"]["mappings"]["event"]["_routing"] == {"required": True}
    assert {r["status"] for r in records(dest).values()} == {"verified"}


def test_second_run_overwrites_instead_of_duplicating(es5: str, dest: str) -> None:
    wanted = f"events-*-{COMPANIES[1]},queue_metrics_*"
    first = migrate(es5, dest, "--indices", wanted)
    assert first.returncode == 0, first.stdout + first.stderr
    counts = indices(dest)
    assert set(counts) == {i for i in indices(es5) if COMPANIES[1] in i and i.startswith("events-")} | {
        i for i in indices(es5) if i.startswith("queue_metrics_")
    }

    second = migrate(es5, dest, "--indices", wanted)

    assert second.returncode == 0, second.stdout + second.stderr
    assert indices(dest) == counts
    index = f"events-training_stats_scalar-{COMPANIES[1]}"
    some = data.request(f"{dest}/{index}/_search?version=true&size=5", "POST", {"query": {"match_all": {}}})
    assert [h["_version"] for h in some["hits"]["hits"]] == [2] * 5  # rewritten, same ids


def _far_from_done(dest: str, state: dict[str, dict[str, Any]]) -> bool:
    """Whether an index being copied has at least three pages (of 300) still to copy: a
    signal sent now finds it half copied (Ctrl-C finishes the current page only)."""
    for name, record in state.items():
        if record["status"] == "copying":
            try:
                data.request(f"{dest}/{name}/_refresh", "POST")
                copied = data.request(f"{dest}/{name}/_count")["count"]
            except OSError:  # not created yet
                continue
            if record.get("source_docs", 0) - copied >= 900:
                return True
    return False


# Starts the command with SIGINT ignored, as `cmd &` in a shell and some CI runners do (a
# child inherits an ignored signal across exec): Ctrl-C must stop it all the same, and the
# test does not depend on how its own run was started.
SIGINT_IGNORED = [
    sys.executable,
    "-c",
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); os.execv(sys.executable, sys.argv[1:])",
    sys.executable,
]


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGINT], ids=["killed", "ctrl-c"])
def test_interrupted_run_is_resumed(es5: str, dest: str, signum: int) -> None:
    cmd = [*SIGINT_IGNORED, "-m", "stationmaster.server.cli", "migrate-es", "--source", es5, "--dest", dest]
    proc = subprocess.Popen(
        [*cmd, "--parallel", "1", "--batch-size", "300"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output = ""
    try:
        deadline = time.monotonic() + 240
        state: dict[str, dict[str, Any]] = {}
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                state = records(dest)
            except Exception:  # the marker index does not exist yet
                state = {}
            statuses = [r["status"] for r in state.values()]
            if "verified" in statuses and _far_from_done(dest, state):
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the migration ended before it could be interrupted"
        proc.send_signal(signum)
        output = proc.communicate(timeout=60)[0]
    finally:
        proc.kill()
        proc.wait(10)
    if signum == signal.SIGINT:  # stops after the current page, says how to go on
        assert proc.returncode == 130, output
        assert "interrupted: the source is unchanged; run again with --resume" in output
    verified = {name for name, r in records(dest).items() if r["status"] == "verified"}
    interrupted = {name for name, r in records(dest).items() if r["status"] == "copying"}
    assert verified and interrupted
    source = indices(es5)

    resumed = migrate(es5, dest, "--resume")

    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    for name in verified:
        assert f"{name}: already verified, skipped (--resume)" in resumed.stdout
    for name in interrupted:
        assert f"ok        {name}:" in resumed.stdout
    assert indices(dest) == source
    assert {r["status"] for r in records(dest).values()} == {"verified"}


def test_verification_reports_an_altered_and_a_missing_document(es5: str, dest: str) -> None:
    log_index, queue_index = f"events-log-{COMPANIES[2]}", f"queue_metrics_{COMPANIES[2]}_2020-05"
    done = migrate(es5, dest, "--indices", f"{log_index},{queue_index}")
    assert done.returncode == 0, done.stdout + done.stderr
    victim = next(iter(all_docs(dest, log_index)))
    data.request(f"{dest}/{log_index}/_update/{victim}?refresh=true", "POST", {"doc": {"msg": "tampered"}})
    gone = next(iter(all_docs(dest, queue_index)))
    data.request(f"{dest}/{queue_index}/_doc/{gone}?refresh=true", "DELETE")

    check = migrate(es5, dest, "--indices", f"{log_index},{queue_index}", "--verify-only", "--sample-size", "1000")

    assert check.returncode == 1, check.stdout + check.stderr
    out = check.stdout
    assert f"MISMATCH  {log_index}" in out and f"document {victim}: field msg: source" in out and "'tampered'" in out
    assert f"MISMATCH  {queue_index}" in out and "document count differs: source 150, destination 149" in out
    assert f"document {gone}: missing in the destination" in out
    assert "2 of 2 indices NOT verified" in out
    assert {r["status"] for r in records(dest).values()} == {"failed"}


def test_dry_run_writes_nothing(es5: str, dest: str) -> None:
    result = migrate(es5, dest, "--dry-run", "--indices", "worker_stats_*")

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"worker_stats_{COMPANIES[0]}_2020-05: 150 documents" in result.stdout
    assert "dry run: nothing was written" in result.stdout
    assert indices(dest) == {}
    assert data.request(f"{dest}/_cat/indices/{MARKER}?format=json&ignore_unavailable=true") == []


def test_remote_source_lets_the_destination_pull(es5: str, dest: str) -> None:
    wanted = f"events-plot-{COMPANIES[0]},events-training_stats_vector-{COMPANIES[0]},worker_stats_*"
    result = migrate(es5, dest, "--indices", wanted, "--remote-source")

    assert result.returncode == 0, result.stdout + result.stderr
    source = {k: v for k, v in indices(es5).items() if k in indices(dest)}
    assert len(source) == 2 + 3 and indices(dest) == source
    index = f"events-plot-{COMPANIES[0]}"
    src, dst = all_docs(es5, index), all_docs(dest, index)
    assert {k: h["_source"] for k, h in src.items()} == {k: h["_source"] for k, h in dst.items()}
    assert all(h["_type"] == "_doc" and "_routing" not in h for h in dst.values())


def test_bad_destination_is_a_clear_error(es5: str) -> None:
    result = migrate(es5, es5)  # an ES 5 node as destination

    assert result.returncode == 2
    assert "are the same cluster" in result.stdout
    result = migrate(es5, es5.replace("127.0.0.1", "localhost"))  # the same ES 5 node by another name

    assert result.returncode == 2
    assert "runs Elasticsearch 5.6.16; it must be 7.x" in result.stdout


# --- the server's start-up guard -------------------------------------------------


def _serve(tmp_path: Path, es_url: str) -> ServerProcess:
    host, port = es_url.rsplit("/", 1)[-1].split(":")
    env = {"STATIONMASTER_ELASTIC_SERVICE_HOST": host, "STATIONMASTER_ELASTIC_SERVICE_PORT": port}
    return ServerProcess(tmp_path / "data", env=env)


def test_server_refuses_an_es5_events_host(es5: str, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError) as err:
        _serve(tmp_path, es5).start()
    assert "server exited with 1" in str(err.value)
    assert "runs Elasticsearch 5.6.16" in str(err.value) and "stationmaster migrate-es --source" in str(err.value)


def test_server_refuses_an_unfinished_migration_and_starts_after_it(es5: str, dest: str, tmp_path: Path) -> None:
    wanted = f"events-log-{COMPANIES[0]}"
    assert migrate(es5, dest, "--indices", wanted).returncode == 0
    body = {"index": wanted, "status": "copying", "source": es5, "source_docs": 1, "updated": 0}
    data.request(f"{dest}/{MARKER}/_doc/{wanted}?refresh=true", "PUT", body)

    with pytest.raises(RuntimeError) as err:
        _serve(tmp_path, dest).start()
    assert "event migration into" in str(err.value) and "not finished: 1 indices not verified" in str(err.value)
    assert wanted in str(err.value) and "--resume" in str(err.value)

    assert migrate(es5, dest, "--indices", wanted, "--resume").returncode == 0
    with _serve(tmp_path, dest) as server:
        assert server.port


def test_guard_refuses_a_pre_016_document_database_without_events(dest: str) -> None:
    import mongomock

    from stationmaster.database.migration.guard import MigrationRequired, _check, legacy_version
    from stationmaster.database.migration.http import EsHttp

    db = mongomock.MongoClient().db
    db["versions"].insert_many([{"_id": "a", "num": "0.14.0"}, {"_id": "b", "num": "0.15.1"}])
    assert legacy_version(db) == "0.15.1"
    es = EsHttp(dest)
    with pytest.raises(MigrationRequired, match="reference server 0.15.1"):
        _check(es, dest, lambda: db)
    db["versions"].insert_one({"_id": "c", "num": "0.16.1"})
    _check(es, dest, lambda: db)  # a 0.16 database had its events in ES 7 already
    es.close()
