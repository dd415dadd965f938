"""The SQLite event store on its own: overwrites, the series summary, keyset paging,
bucket keys of negative values and the latest values — each for scalars kept in the
narrow ``scalars`` table (events as clients send them) and in the general ``events``
table (a scalar with a field of its own) — and the two tables together."""

from __future__ import annotations

import functools
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from stationmaster.database.events.base import EventQuery, EventStore, HistogramRequest, IterationsQuery, PointsQuery
from stationmaster.database.events.sqlite import SqliteEventStore

SCALAR = "training_stats_scalar"


# Which table ``scalar`` events go to in the test running (see the ``store`` fixture).
_layout = {"narrow": True}


@pytest.fixture(params=["narrow", "wide"])
def store(tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    _layout["narrow"] = request.param == "narrow"
    s = SqliteEventStore(tmp_path / "events.sqlite")
    yield s
    s.close()


def scalar(
    it: int, value: float, variant: str = "v", task: str = "t", ts: int | None = None, *, narrow: bool | None = None
) -> dict[str, Any]:
    event = {  # no "id": the store derives a scalar's (point_id)
        "type": SCALAR,
        "task": task,
        "iter": it,
        "metric": "m",
        "variant": variant,
        "value": value,
        "timestamp": 1000 + it if ts is None else ts,
        "@timestamp": "2026-01-01T00:00:00.000Z",
        "worker": "w",
    }
    if not (_layout["narrow"] if narrow is None else narrow):
        event["extra"] = "a field of its own keeps it in the events table"
    return event


def table_counts(store: SqliteEventStore) -> tuple[int, int]:
    """(rows in ``scalars``, scalar rows in ``events``)"""
    conn = store._conn()
    narrow = conn.execute("SELECT count(*) FROM scalars").fetchone()[0]
    return narrow, conn.execute("SELECT count(*) FROM events WHERE type = ?", (SCALAR,)).fetchone()[0]


def test_overwrites_keep_counts_exact(store: SqliteEventStore) -> None:
    store.add("c", [scalar(i, 1.0) for i in range(5)])
    store.add("c", [scalar(i, 2.0) for i in range(3)] + [scalar(3, 5.0), scalar(3, 6.0)])
    (series,) = store.series("c", SCALAR, ["t"])
    assert (series.count, series.min_iter, series.max_iter) == (5, 0, 4)
    page = store.search("c", EventQuery(SCALAR, ["t"], sort=[("iter", False), ("id", False)]))
    assert [e["value"] for e in page.events] == [2.0, 2.0, 2.0, 6.0, 1.0]
    assert page.total == 5
    assert "id" not in page.events[0]
    assert store.count("c", SCALAR, ["t"]) == store.count("c", None, ["t", "u"]) == 5
    store.add("c", [{"id": "l1", "type": "log", "task": "t", "msg": "x", "timestamp": 3} for _ in range(2)])
    assert (store.count("c", "log", ["t"]), store.count("c", None, ["t"]), store.count("c", "plot", ["t"])) == (1, 6, 0)


def test_series_are_per_company_and_deleted_with_their_task(store: SqliteEventStore) -> None:
    store.add("c", [scalar(1, 1.0), scalar(2, 1.0, variant="w"), scalar(1, 1.0, task="u")])
    store.add("d", [scalar(1, 1.0)])
    assert [(s.task, s.variant) for s in store.series("c", SCALAR, ["t", "u"])] == [("t", "v"), ("t", "w"), ("u", "v")]
    assert store.delete_tasks("c", ["t"]) == 2
    assert [s.task for s in store.series("c", SCALAR, ["t", "u"])] == ["u"]
    assert len(store.series("d", SCALAR, ["t"])) == 1


@pytest.mark.parametrize("narrow", [True, False])
def test_summary_is_rebuilt_for_an_older_file(tmp_path: Path, narrow: bool) -> None:
    path = tmp_path / "events.sqlite"
    first = SqliteEventStore(path)
    first.add("c", [scalar(i, 1.0, narrow=narrow) for i in range(4)])
    first._conn().execute("DELETE FROM series")
    first.close()
    again = SqliteEventStore(path)
    assert again.series("c", SCALAR, ["t"])[0].count == 4
    again.close()


def test_keyset_paging_descending_with_ties(store: SqliteEventStore) -> None:
    store.add("c", [scalar(i, 1.0, ts=5) for i in range(4)] + [scalar(9, 1.0, ts=6)])
    query = EventQuery(SCALAR, ["t"], sort=[("timestamp", True), ("id", True)], size=2)
    seen = []
    while True:
        page = store.search("c", query)
        if not page.events:
            break
        seen += [e["iter"] for e in page.events]
        query.after = page.last_key
    # ties (timestamp 5) come in id order, the same as one page holding them all
    whole = store.search("c", EventQuery(SCALAR, ["t"], sort=[("timestamp", True), ("id", True)], size=100))
    assert seen == [e["iter"] for e in whole.events]
    assert seen[0] == 9 and sorted(seen[1:]) == [0, 1, 2, 3]


def test_histogram_buckets_floor_negative_keys(store: SqliteEventStore) -> None:
    store.add("c", [scalar(i, float(i)) for i in (-3, -1, 0, 2, 4)])
    result = store.histogram("c", HistogramRequest("iter", 3, [("t", "m", "v")]))
    assert result[("t", "m", "v")] == [(-3, -2.0), (0, 1.0), (3, 4.0)]


def test_latest_values_and_iterations(store: SqliteEventStore) -> None:
    store.add("c", [scalar(1, 3.0), scalar(2, 0.25), scalar(3, -1.0), scalar(1, 2.0, variant="w")])
    latest = store.latest_values("c", "t")
    assert [(v.variant, v.value) for v in latest] == [("v", 0.25), ("w", 2.0)]  # only positive values count
    assert store.iterations("c", IterationsQuery(SCALAR, "t", limit=2)) == [3, 2]
    assert store.iterations("c", IterationsQuery(SCALAR, "t", below=3, descending=False, limit=5)) == [1, 2]


def test_a_failing_batch_leaves_nothing_behind(store: SqliteEventStore) -> None:
    store.add("c", [scalar(0, 1.0)])
    broken = scalar(2, 1.0)
    broken["task"] = ("not", "bindable")  # SQLite cannot bind it: fails after the first row is written
    with pytest.raises(sqlite3.Error):
        store.add("c", [scalar(1, 1.0), broken])
    assert store.count("c", SCALAR, ["t"]) == 1
    assert store.search("c", EventQuery(SCALAR, ["t"])).total == 1
    assert store.series("c", SCALAR, ["t"])[0].count == 1


def test_events_as_clients_send_them_are_narrow_rows_read_back_exactly(store: SqliteEventStore) -> None:
    values = [0.1234567890123456789, 7, -3.5e-30, 1e38]
    store.add("c", [scalar(i, v) for i, v in enumerate(values)])
    assert table_counts(store) == ((4, 0) if _layout["narrow"] else (0, 4))
    page = store.search("c", EventQuery(SCALAR, ["t"], sort=[("iter", False), ("id", False)]))
    assert [e["value"] for e in page.events] == values
    assert type(page.events[1]["value"]) is int
    first = page.events[0]
    expected = {k: v for k, v in scalar(0, values[0]).items() if k != "id"}
    assert first == expected
    assert [v.value for v in store.latest_values("c", "t")] == [pytest.approx(1e38, rel=1e-6)]


def test_a_scalar_moving_between_the_tables_is_kept_once(store: SqliteEventStore) -> None:
    store.add("c", [scalar(i, 1.0, narrow=False) for i in range(3)])
    store.add("c", [scalar(i, 2.0, narrow=True) for i in range(2, 5)])  # iteration 2 overwritten
    assert table_counts(store) == (3, 2)
    store.add("c", [scalar(4, 3.0, narrow=False)])  # and back
    assert table_counts(store) == (2, 3)
    (series,) = store.series("c", SCALAR, ["t"])
    assert (series.count, series.min_iter, series.max_iter) == (5, 0, 4)
    page = store.search("c", EventQuery(SCALAR, ["t"], sort=[("iter", False), ("id", False)]))
    assert [(e["iter"], e["value"]) for e in page.events] == [(0, 1.0), (1, 1.0), (2, 2.0), (3, 2.0), (4, 3.0)]
    assert page.total == 5
    assert store.histogram("c", HistogramRequest("iter", 2, [("t", "m", "v")]))[("t", "m", "v")] == [
        (0, 1.0),
        (2, 2.0),
        (4, 3.0),
    ]
    assert store.delete_tasks("c", ["t"]) == 5
    assert table_counts(store) == (0, 0)


def test_one_point_twice_in_both_shapes_in_one_batch_is_kept_once(store: SqliteEventStore) -> None:
    store.add("c", [scalar(1, 1.0, narrow=True), scalar(1, 2.0, narrow=False), scalar(2, 3.0, narrow=False)])
    store.add("c", [scalar(2, 4.0, narrow=False), scalar(2, 5.0, narrow=True)])
    page = store.search("c", EventQuery(SCALAR, ["t"], sort=[("iter", False), ("id", False)]))
    assert [(e["iter"], e["value"]) for e in page.events] == [(1, 2.0), (2, 5.0)]
    assert store.series("c", SCALAR, ["t"])[0].count == 2


def test_sparse_and_repeated_iterations_are_counted_once(store: SqliteEventStore) -> None:
    store.add("c", [scalar(i, 1.0) for i in (0, 10**12)])
    store.add("c", [scalar(i, 2.0) for i in (0, 5, 5, 10**15)])
    (series,) = store.series("c", SCALAR, ["t"])
    assert (series.count, series.min_iter, series.max_iter) == (4, 0, 10**15)
    assert store.count("c", SCALAR, ["t"]) == 4


def test_series_ids_survive_a_failed_batch_and_a_deleted_task(store: SqliteEventStore) -> None:
    broken = scalar(1, 1.0, variant="other")
    broken["timestamp"] = ("not", "bindable")
    with pytest.raises((sqlite3.Error, TypeError)):
        # the new series' ids are made in the transaction that fails, and rolled back
        store.add("c", [scalar(1, 1.0, variant="new"), broken])
    assert store.search("c", EventQuery(SCALAR, ["t"])).total == 0
    store.add("c", [scalar(1, 1.0, variant="new")])
    assert store.search("c", EventQuery(SCALAR, ["t"])).total == 1
    store.delete_tasks("c", ["t"])
    store.add("c", [scalar(2, 4.0, variant="new")])
    assert [(s.variant, s.count) for s in store.series("c", SCALAR, ["t"])] == [("new", 1)]
    assert store.histogram("c", HistogramRequest("iter", 1, [("t", "m", "new")]))[("t", "m", "new")] == [(2, 4.0)]


def _histograms_agree(store: SqliteEventStore, path: Path, series: list[tuple[str, str, str]], interval: int) -> Any:
    """The histogram from this store (columns in memory where it keeps them) against one
    from a second store on the same file that keeps no columns (SQL over the tables)."""
    mine = store.histogram("c", HistogramRequest("iter", interval, series))
    other = SqliteEventStore(path, column_points=0)
    try:
        theirs = other.histogram("c", HistogramRequest("iter", interval, series))
    finally:
        other.close()
    assert mine.keys() == theirs.keys()
    for name, points in mine.items():
        assert [k for k, _ in points] == [k for k, _ in theirs[name]]
        assert [v for _, v in points] == pytest.approx([v for _, v in theirs[name]], rel=1e-12)
    return mine


def _columns_in_use(store: SqliteEventStore, variant: str) -> bool:
    (summary,) = [s for s in store.series("c", SCALAR, ["t"]) if s.variant == variant]
    gen, count, sid = store._summaries("c", [("t", "m", variant)])[("t", "m", variant)]
    return sid is not None and count == summary.count and store._columns.buckets(sid, gen, count, 1) is not None


@pytest.mark.parametrize("interval", [1, 3, 7, 50])
def test_histograms_from_columns_equal_the_tables(tmp_path: Path, interval: int) -> None:
    import random

    rng = random.Random(interval)
    _layout["narrow"] = True
    path = tmp_path / "events.sqlite"
    store = SqliteEventStore(path)
    dense = [scalar(i, rng.uniform(-1e6, 1e6), variant="dense") for i in range(-40, 400)]
    sparse = [scalar(i, rng.random(), variant="sparse") for i in sorted(rng.sample(range(-(10**6), 10**6), 300))]
    # in batches as concurrent reporters send them: the fourth before the third, one reversed inside
    for start in (0, 100, 300, 200, 400):
        chunk = dense[start : start + 100] + sparse[start : start + 100]
        store.add("c", chunk[::-1] if start == 100 else chunk)
    assert _columns_in_use(store, "dense") and _columns_in_use(store, "sparse")
    _histograms_agree(store, path, [("t", "m", "dense"), ("t", "m", "sparse")], interval)
    store.close()


def test_columns_are_not_used_once_a_series_is_not_appended_to(tmp_path: Path) -> None:
    _layout["narrow"] = True
    path = tmp_path / "events.sqlite"
    store = SqliteEventStore(path)
    names = ["over", "mix", "wide", "fail", "kept"]
    store.add("c", [scalar(i, float(i), variant=v) for v in names for i in range(10)])
    assert all(_columns_in_use(store, v) for v in names)
    store.add("c", [scalar(3, 100.0, variant="over")])  # an overwrite
    store.add("c", [scalar(i, 100.0, variant="mix") for i in (-1, 20)])  # around the points held
    store.add("c", [scalar(20, 100.0, variant="wide", narrow=False)])  # a point in the events table
    broken = scalar(11, 1.0, variant="other")
    broken["timestamp"] = ("not", "bindable")
    with pytest.raises((sqlite3.Error, TypeError)):
        store.add("c", [scalar(10, 100.0, variant="fail"), broken])  # rolled back after the columns grew
    store.add("c", [scalar(10, 5.0, variant="kept")])
    assert [v for v in names if _columns_in_use(store, v)] == ["kept"]
    store.add("c", [scalar(11, 6.0, variant="fail")])  # columns ahead of the table are dropped, not extended
    assert [v for v in names if _columns_in_use(store, v)] == ["kept"]
    assert not store._columns.has(store._summaries("c", [("t", "m", "fail")])[("t", "m", "fail")][2])
    result = _histograms_agree(store, path, [("t", "m", v) for v in names], 4)
    assert result[("t", "m", "over")][0] == (0, (0 + 1 + 2 + 100) / 4)
    assert result[("t", "m", "fail")][-1] == (8, (8 + 9 + 6) / 3)  # the rolled-back 100.0 is not there
    assert result[("t", "m", "kept")][-1] == (8, (8 + 9 + 5) / 3)
    store.delete_tasks("c", ["t"])
    assert store.histogram("c", HistogramRequest("iter", 4, [("t", "m", "kept")])) == {}
    store.close()


def test_iterations_merge_both_tables_without_repeats(tmp_path: Path) -> None:
    store = SqliteEventStore(tmp_path / "events.sqlite")
    store.add("c", [scalar(i, 1.0, variant="a", narrow=False) for i in (1, 5)])
    store.add("c", [scalar(i, 1.0, variant=v, narrow=True) for v in ("b", "c") for i in (2, 5, 7)])
    assert store.iterations("c", IterationsQuery(SCALAR, "t", limit=3)) == [7, 5, 2]
    assert store.iterations("c", IterationsQuery(SCALAR, "t", below=5, descending=False, limit=9)) == [1, 2]
    assert store.iterations("c", IterationsQuery(SCALAR, "t", above=1, variant="b", limit=9)) == [7, 5, 2]
    assert store.iterations("c", IterationsQuery(SCALAR, "t", metric="x", limit=9)) == []
    store.close()


def test_a_reopened_store_reads_series_into_columns_after_bucketing_them_in_sql(tmp_path: Path) -> None:
    _layout["narrow"] = True
    path = tmp_path / "events.sqlite"
    first = SqliteEventStore(path)
    first.add("c", [scalar(i, float(i % 7), variant=v) for v in ("a", "b") for i in range(50)])
    first.add("c", [scalar(60, 2.0, variant="b", narrow=False)])  # b has a point in the events table
    first.close()
    store = SqliteEventStore(path)
    assert not _columns_in_use(store, "a")
    before = _histograms_agree(store, path, [("t", "m", "a"), ("t", "m", "b")], 4)  # SQL answers
    assert store._loader is not None
    store._loader.submit(lambda: None).result()  # the series were read into columns meanwhile
    assert _columns_in_use(store, "a") and not _columns_in_use(store, "b")
    store.add("c", [scalar(i, 1.5, variant=v) for v in ("a", "b") for i in (50, 51)])
    assert _columns_in_use(store, "a")
    after = _histograms_agree(store, path, [("t", "m", "a"), ("t", "m", "b")], 4)
    assert after[("t", "m", "a")][-1] == (48, (48 % 7 + 49 % 7 + 1.5 + 1.5) / 4) != before[("t", "m", "a")][-1]
    store.close()


def test_concurrent_writers_and_readers_agree_with_sql_at_the_end(tmp_path: Path) -> None:
    import random
    import threading

    _layout["narrow"] = True
    path = tmp_path / "events.sqlite"
    store = SqliteEventStore(path)
    series = [("t", "m", f"v{i}") for i in range(3)]
    chunks = [list(range(start, start + 25)) for start in range(0, 2000, 25)]
    random.Random(7).shuffle(chunks)  # batches land out of order, from four threads
    failures: list[BaseException] = []

    def writer(mine: list[list[int]]) -> None:
        try:
            for iters in mine:
                store.add("c", [scalar(i, float(i % 13), variant=v) for _, _, v in series for i in iters])
        except BaseException as ex:  # reported by the test
            failures.append(ex)

    def reader(stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                for name, points in store.histogram("c", HistogramRequest("iter", 7, series)).items():
                    assert all(b[0] > a[0] for a, b in zip(points, points[1:], strict=False)), name
        except BaseException as ex:
            failures.append(ex)

    stop = threading.Event()
    threads = [threading.Thread(target=writer, args=(chunks[k::4],)) for k in range(4)]
    watcher = threading.Thread(target=reader, args=(stop,))
    watcher.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    stop.set()
    watcher.join(60)
    assert not failures
    assert [s.count for s in store.series("c", SCALAR, ["t"])] == [2000] * 3
    assert all(_columns_in_use(store, v) for _, _, v in series)  # batches out of order fit between
    result = _histograms_agree(store, path, series, 7)
    assert result[series[0]][0] == (0, sum(i % 13 for i in range(7)) / 7)
    store.close()


# --- from the review of the narrow table (each failed before its fix) -----------------


def _other(event_type: str, it: int | None, variant: str = "v", **fields: Any) -> dict[str, Any]:
    event = {
        "type": event_type,
        "task": "t",
        "metric": "m",
        "variant": variant,
        "timestamp": 5,
        "@timestamp": "2026-01-01T00:00:00.000Z",
        "worker": "w",
        **fields,
    }
    if it is not None:
        event["iter"] = it
    return event


def test_a_scalar_and_another_type_of_the_same_point_in_one_batch_are_both_kept(tmp_path: Path) -> None:
    store = SqliteEventStore(tmp_path / "events.sqlite")
    vector = _other("training_stats_vector", 1, value=[1.0, 2.0])
    store.add("c", [scalar(1, 3.0, narrow=True), vector])
    assert store.count("c", SCALAR, ["t"]) == 1
    assert store.count("c", "training_stats_vector", ["t"]) == 1
    assert [e["value"] for e in store.search("c", EventQuery(SCALAR, ["t"])).events] == [3.0]
    store.close()


def test_columns_of_a_series_are_dropped_when_a_point_moves_to_the_events_table(tmp_path: Path) -> None:
    _layout["narrow"] = True
    path = tmp_path / "events.sqlite"
    store = SqliteEventStore(path)
    store.add("c", [scalar(i, 1.0) for i in range(5)])
    store.add("c", [scalar(2, 100.0, narrow=False), scalar(5, 1.0), scalar(6, 1.0)])  # one batch
    result = _histograms_agree(store, path, [("t", "m", "v")], 1)
    assert result[("t", "m", "v")][2] == (2, 100.0)
    store.close()


def test_an_id_sent_with_an_event_other_than_a_log_line_is_not_its_key(tmp_path: Path) -> None:
    store = SqliteEventStore(tmp_path / "events.sqlite")
    store.add("c", [{**scalar(i, 1.0, narrow=True), "id": "abc"} for i in (1, 2)])
    store.add("c", [_other("plot", i, plot_str="{}", id="abc") for i in (1, 2)])
    store.add("c", [{**scalar(1, 2.0, narrow=True), "id": "x"}])  # re-sent: an overwrite
    assert (store.count("c", SCALAR, ["t"]), store.count("c", "plot", ["t"])) == (2, 2)
    assert store.series("c", SCALAR, ["t"])[0].count == 2
    store.close()


def test_series_ids_are_remembered_inside_the_transaction_and_never_reused(tmp_path: Path) -> None:
    _layout["narrow"] = True
    store = SqliteEventStore(tmp_path / "events.sqlite")
    seen: list[bool] = []
    remember = store._series_ids.remember

    def watching(learned: dict[tuple[str, str, str, str], int]) -> None:
        seen.append(store._conn().in_transaction)  # a delete_tasks cannot slip in before it
        remember(learned)

    store._series_ids.remember = watching  # type: ignore[method-assign]
    store.add("c", [scalar(1, 1.0, variant="a")])
    assert seen == [True]
    (first,) = sqlite_scalars_sids(store)
    store.delete_tasks("c", ["t"])
    store.add("c", [scalar(1, 1.0, variant="b", task="u")])
    assert sqlite_scalars_sids(store)[0] > first
    store.close()


def sqlite_scalars_sids(store: SqliteEventStore) -> list[int]:
    return [r[0] for r in store._conn().execute("SELECT sid FROM scalar_series ORDER BY sid")]


def test_opening_a_store_again_leaves_the_view_in_place_for_readers(tmp_path: Path) -> None:
    import threading

    path = tmp_path / "events.sqlite"
    store = SqliteEventStore(path)
    store.add("c", [scalar(1, 1.0)])
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        conn = sqlite3.connect(path, check_same_thread=False)
        while not stop.is_set():
            try:
                conn.execute("SELECT count(*) FROM all_events").fetchone()
            except sqlite3.Error as ex:
                errors.append(ex)
        conn.close()

    reader = threading.Thread(target=read)
    reader.start()
    for _ in range(30):
        SqliteEventStore(path).close()
    stop.set()
    reader.join(30)
    store.close()
    assert errors == []


def test_series_whose_names_join_to_the_same_text_page_without_losing_a_point(tmp_path: Path) -> None:
    _layout["narrow"] = True
    store = SqliteEventStore(tmp_path / "events.sqlite")
    first = {**scalar(1, 1.0, ts=7), "metric": "a-b", "variant": "c"}
    second = {**scalar(1, 2.0, ts=7), "metric": "a", "variant": "b-c"}
    store.add("c", [first, second])
    query = EventQuery(SCALAR, ["t"], size=1)
    seen = []
    while (page := store.search("c", query)).events:
        seen += [(e["metric"], e["variant"]) for e in page.events]
        query.after = page.last_key
    assert sorted(seen) == [("a", "b-c"), ("a-b", "c")]
    store.close()


def test_an_integer_value_beyond_64_bits_is_kept_in_the_events_table(tmp_path: Path) -> None:
    store = SqliteEventStore(tmp_path / "events.sqlite")
    store.add("c", [scalar(1, 2**64, narrow=True)])
    assert [e["value"] for e in store.search("c", EventQuery(SCALAR, ["t"])).events] == [2**64]
    assert table_counts(store) == (0, 1)
    store.close()


def test_generations_increase_when_the_clock_steps_back(monkeypatch: pytest.MonkeyPatch) -> None:
    from stationmaster.database.events import sqlite_series

    clock = iter([5_000, 4_000, 4_000, 3_000])
    monkeypatch.setattr(sqlite_series.time, "time_ns", lambda: next(clock))
    gens = [sqlite_series.next_generation() for _ in range(4)]
    assert all(b > a for a, b in zip(gens, gens[1:], strict=False))


@pytest.mark.parametrize("descending", [False, True])
def test_keyset_paging_on_iter_passes_events_without_one(tmp_path: Path, descending: bool) -> None:
    store = SqliteEventStore(tmp_path / "events.sqlite")
    store.add("c", [_other("plot", it, variant=f"p{it}", plot_str="{}") for it in (None, 1, 2)])
    query = EventQuery("plot", ["t"], sort=[("iter", descending), ("id", descending)], size=1)
    seen = []
    while True:
        page = store.search("c", query)
        if not page.events:
            break
        seen += [e.get("iter") for e in page.events]
        query.after = page.last_key
    assert seen == ([2, 1, None] if descending else [None, 1, 2])
    store.close()


def test_series_ids_kept_in_memory_are_bounded(tmp_path: Path) -> None:
    from stationmaster.database.events.sqlite_scalars import SeriesIds

    _layout["narrow"] = True
    store = SqliteEventStore(tmp_path / "events.sqlite")
    store._series_ids = SeriesIds(max_entries=2)
    for variant in ("a", "b", "c"):
        store.add("c", [scalar(1, 1.0, variant=variant)])
    assert len(store._series_ids._ids) == 2
    store.add("c", [scalar(2, 2.0, variant="a")])  # its id is read again, not made anew
    assert [(s.variant, s.count) for s in store.series("c", SCALAR, ["t"])] == [("a", 2), ("b", 1), ("c", 1)]
    assert len(sqlite_scalars_sids(store)) == 3
    store.close()


@pytest.mark.parametrize("field", ["iter", "timestamp"])
def test_scalar_points_pages_like_the_general_path(store: SqliteEventStore, field: str) -> None:
    # timestamps tie across iterations, so the order within a timestamp matters too
    store.add("c", [scalar(i, i / 3, variant=v, ts=1000 + i // 3) for i in range(20) for v in ("b", "a", "c")])

    def read(points: Any, size: int, variants: tuple[str, ...] = ()) -> list[tuple[str, Any, Any]]:
        found: list[tuple[str, Any, Any]] = []
        after = None
        while True:
            runs, after = points("c", PointsQuery("t", "m", variants, field, after, size))
            flat = [(v, x, y) for v, xs, ys in runs for x, y in zip(xs, ys, strict=True)]
            if not flat:
                return found
            found += flat

    general = read(functools.partial(EventStore.scalar_points, store), 1000)
    assert len(general) == 60 and [p[0] for p in general] == sorted(p[0] for p in general)
    for size in (1, 7, 60, 1000):
        assert read(store.scalar_points, size) == general, size
    assert read(store.scalar_points, 4, ("c", "a")) == [p for p in general if p[0] in ("a", "c")]
