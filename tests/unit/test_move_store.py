"""``stationmaster move-store``'s pieces without the team stores: reading an embedded
data directory (units, pages, resuming keys, samples), the checkpoint over pages
written out of order, the document comparison, the file store copy and the command's
argument errors. The move itself into FerretDB + Elasticsearch: tests/api/test_move_store.py."""

from __future__ import annotations

import datetime
import io
import json
from pathlib import Path

import pytest
from support.embedded_fill import COMPANY, fill

from stationmaster.database.events.base import point_id
from stationmaster.database.migration.progress import Progress
from stationmaster.database.move import files as move_files
from stationmaster.database.move.copy import Checkpoint
from stationmaster.database.move.source import DOCUMENTS, EVENTS, STATS, EmbeddedSource, SourceError
from stationmaster.database.move.verify import _comparable
from stationmaster.server.cli import main

SCALARS = "events-training_stats_scalar-" + COMPANY


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedSource:
    root = tmp_path_factory.mktemp("move") / "data"
    fill(root, tasks=12, scalars=400, logs=25, stats=9)
    src = EmbeddedSource(root)
    yield src
    src.close()


def test_units_cover_every_collection_event_index_and_statistics_family(source: EmbeddedSource) -> None:
    units = {u.name: u for u in source.units()}
    assert units["backend.task"].docs == 12 and units["backend.task"].kind == DOCUMENTS
    assert units["auth.company"].docs == 1
    assert units[SCALARS].docs == 400 and units[SCALARS].kind == EVENTS
    assert units["events-log-" + COMPANY].docs == 25
    assert units["events-training_debug_image-" + COMPANY].docs == 3
    assert units[f"worker_stats_{COMPANY}_*"].docs == 9 and units[f"worker_stats_{COMPANY}_*"].kind == STATS
    assert units[f"queue_metrics_{COMPANY}_*"].docs == 9


def test_pages_give_every_item_once_with_the_ids_the_es_store_would_use(source: EmbeddedSource) -> None:
    unit = next(u for u in source.units() if u.name == SCALARS)
    pages = list(source.pages(unit, None, 64))
    items = [i for _, page in pages for i in page]
    assert len(items) == 400 and len({i[1] for i in items}) == 400
    index, doc_id, doc = items[0]
    assert index == SCALARS and doc_id == point_id(doc)
    assert set(doc) == {"timestamp", "type", "task", "iter", "metric", "variant", "value", "@timestamp", "worker"}
    logs = next(u for u in source.units() if u.name.startswith("events-log-"))
    log_items = [i for _, page in source.pages(logs, None, 10) for i in page]
    assert log_items[0][1] == "log-000000" and json.loads(log_items[0][2])["msg"] == "line 0"


def test_a_page_key_resumes_right_after_that_page(source: EmbeddedSource) -> None:
    for name in (SCALARS, "events-log-" + COMPANY, f"worker_stats_{COMPANY}_*"):
        unit = next(u for u in source.units() if u.name == name)
        pages = list(source.pages(unit, None, 7))
        every = [i[1] for _, page in pages for i in page]
        for cut in range(len(pages)):
            key = json.loads(json.dumps(pages[cut][0]))  # as the marker keeps it
            rest = [i[1] for _, page in source.pages(unit, key, 7) for i in page]
            done = sum(len(p) for _, p in pages[: cut + 1])
            assert rest == every[done:], (name, cut)


def test_statistics_go_to_the_index_of_their_month_with_the_es_store_fields(source: EmbeddedSource) -> None:
    unit = next(u for u in source.units() if u.name.startswith("worker_stats_"))
    index, doc_id, doc = next(iter(source.pages(unit, None, 100)))[1][0]
    assert index == f"worker_stats_{COMPANY}_2025-12" and doc_id.startswith("sm-")
    assert doc == {
        "timestamp": 1_764_800_000_000,
        "worker": "w1",
        "category": "cpu",
        "metric": "cpu_usage",
        "variant": "total",
        "value": 0.5,
        "task": f"{0:032x}",
        "company": "team",
    }


def test_samples_are_repeatable_and_come_from_the_unit(source: EmbeddedSource) -> None:
    unit = next(u for u in source.units() if u.name == SCALARS)
    first, again = source.sample(unit, 20, seed=3), source.sample(unit, 20, seed=3)
    assert [i[1] for i in first] == [i[1] for i in again] and len(first) == 20
    every = {i[1] for _, page in source.pages(unit, None, 1000) for i in page}
    assert {i[1] for i in first} <= every
    assert len(source.sample(unit, 5000, seed=1)) == 400


def test_not_an_embedded_data_directory(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="holds no embedded documents"):
        EmbeddedSource(tmp_path)


def test_the_checkpoint_advances_over_pages_written_without_a_gap() -> None:
    cp = Checkpoint(None, 0)
    assert not cp.done(1, [1], 10) and cp.key is None  # page 0 not written yet
    assert not cp.done(2, [2], 10)
    assert cp.done(0, [0], 10) and cp.key == [2] and cp.copied == 30
    assert cp.done(3, [3], 5) and (cp.key, cp.copied) == ([3], 35)


def test_documents_compare_to_the_millisecond_as_bson_keeps_them() -> None:
    moment = datetime.datetime(2025, 1, 2, 3, 4, 5, 678901)
    assert _comparable({"a": [{"t": moment}]}) == {"a": [{"t": moment.replace(microsecond=678000)}]}


def test_the_file_store_copy_skips_what_is_there_and_verifies(tmp_path: Path) -> None:
    src, dst = tmp_path / "files", tmp_path / "elsewhere"
    (src / "p" / "t").mkdir(parents=True)
    (src / "p" / "t" / "model.bin").write_bytes(b"m" * 1000)
    (src / "p" / "img.png").write_bytes(b"png")
    (src / "p" / ".~upload-1").write_bytes(b"half")
    progress = Progress(2, io.StringIO())
    progress.start_index("files", 2)
    assert move_files.copy_files(src, dst, progress, "files").copied == 2
    progress.start_index("files", 2)
    assert move_files.copy_files(src, dst, progress, "files").copied == 0
    assert not (dst / "p" / ".~upload-1").exists()
    assert move_files.verify_files(src, dst, 10, 1).problems == []
    (dst / "p" / "img.png").write_bytes(b"PNG")
    assert move_files.verify_files(src, dst, 10, 1).problems == ["p/img.png: content differs"]


def test_the_command_without_a_target_says_what_to_give(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["move-store", "--data-dir", str(tmp_path)]) == 2
    assert "no MongoDB and no Elasticsearch target" in capsys.readouterr().err
    args = ["move-store", "--data-dir", str(tmp_path), "--mongo", "mongodb://x", "--es", "http://y:1"]
    assert main([*args, "--resume", "--merge"]) == 2
    assert "exclude each other" in capsys.readouterr().err
    assert main([*args, "--files-to", str(tmp_path / "files")]) == 2
    assert "source file store itself" in capsys.readouterr().err


def test_the_command_refuses_a_running_server_s_data_directory(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from stationmaster.database.embedded import DataDirLock

    lock = DataDirLock(tmp_path)
    lock.acquire()
    try:
        code = main(
            [
                "move-store",
                "--data-dir",
                str(tmp_path),
                "--mongo",
                "mongodb://127.0.0.1:1",
                "--es",
                "http://127.0.0.1:1",
            ]
        )
    finally:
        lock.release()
    assert code == 2
    assert "stop the embedded server" in capsys.readouterr().out
