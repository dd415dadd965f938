"""``stationmaster backup`` / ``restore`` (database/backup.py) on real SQLite files."""

from __future__ import annotations

import io
import sqlite3
import tarfile
import threading
from pathlib import Path

import pytest

from stationmaster.database import backup
from stationmaster.server.cli import main


def make_db(path: Path, rows: int = 3) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE IF NOT EXISTS t (x)")
    conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(rows)])
    conn.close()


def count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM t").fetchone()[0])
    finally:
        conn.close()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    make_db(root / "documents" / "backend" / "task", 5)
    make_db(root / "events.sqlite", 7)
    (root / "clearml.conf").write_text("api { credentials { access_key: K } }\n")
    (root / "server.lock").write_text("")
    (root / "cache").mkdir()
    (root / "cache" / "schema-x.json").write_text("{}")
    files = root / "files" / "proj" / "task.1"
    files.mkdir(parents=True)
    (files / "model.bin").write_bytes(bytes(range(256)) * 40)
    (files / ".~upload-abc").write_bytes(b"half")
    return root


@pytest.mark.parametrize("suffix", [".tar.zst", ".tar.gz", ".tar"])
def test_round_trip_keeps_every_database_and_file(data_dir: Path, tmp_path: Path, suffix: str) -> None:
    archive = tmp_path / f"b{suffix}"
    made = backup.create_backup(data_dir, archive, data_dir / "files", io.StringIO())
    assert (made.databases, made.files) == (2, 2)  # clearml.conf and model.bin
    target = tmp_path / "restored" / "data"
    backup.restore_backup(archive, target, None, io.StringIO())
    assert count(target / "documents" / "backend" / "task") == 5
    assert count(target / "events.sqlite") == 7
    assert (target / "clearml.conf").read_text() == (data_dir / "clearml.conf").read_text()
    model = target / "files" / "proj" / "task.1" / "model.bin"
    assert model.read_bytes() == bytes(range(256)) * 40
    # what a backup leaves out
    present = {p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()}
    assert not any(p.endswith(("-wal", "-shm", "server.lock")) or "cache/" in p or ".~upload-" in p for p in present)
    assert oct(archive.stat().st_mode & 0o777) == oct(0o600)


def test_a_file_store_outside_the_data_directory(data_dir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "bucket"
    (outside / "a").mkdir(parents=True)
    (outside / "a" / "f.txt").write_text("x")
    archive = tmp_path / "b.tar"
    backup.create_backup(data_dir, archive, outside, io.StringIO())
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "files/a/f.txt" in names
    assert names[-1] == backup.MANIFEST
    restored_files = tmp_path / "new-bucket"
    backup.restore_backup(archive, tmp_path / "r", restored_files, io.StringIO())
    assert (restored_files / "a" / "f.txt").read_text() == "x"


def test_each_database_is_copied_as_of_the_snapshot(tmp_path: Path) -> None:
    """Writes made after the read transactions are open are in none of the copies."""
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    make_db(a, 2)
    make_db(b, 2)
    with backup._snapshots([a, b]) as conns:
        make_db(a, 1)
        make_db(b, 1)
        copies = []
        for conn, name in zip(conns, ("ca.db", "cb.db"), strict=True):
            dest = sqlite3.connect(tmp_path / name)
            conn.backup(dest)
            dest.close()
            copies.append(tmp_path / name)
    assert [count(p) for p in copies] == [2, 2]
    assert (count(a), count(b)) == (3, 3)


def test_a_backup_taken_while_a_writer_commits_is_whole(tmp_path: Path) -> None:
    """Transactions of 10 rows keep committing during the backup: the copy has whole ones."""
    root = tmp_path / "data"
    (root / "documents").mkdir(parents=True)
    db = root / "events.sqlite"
    make_db(db, 0)
    stop = threading.Event()

    def writer() -> None:
        conn = sqlite3.connect(db, isolation_level=None, timeout=30)
        while not stop.is_set():
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(10)])
            conn.execute("COMMIT")
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        backup.create_backup(root, tmp_path / "b.tar", None, io.StringIO())
    finally:
        stop.set()
        thread.join(10)
    backup.restore_backup(tmp_path / "b.tar", tmp_path / "r", None, io.StringIO())
    assert count(tmp_path / "r" / "events.sqlite") % 10 == 0


def test_an_interrupted_backup_leaves_no_archive(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = backup._add
    calls = []

    def failing(*args: object) -> backup.Entry:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(backup, "_add", failing)
    with pytest.raises(KeyboardInterrupt):
        backup.create_backup(data_dir, tmp_path / "b.tar.zst", data_dir / "files", io.StringIO())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_a_damaged_archive_restores_nothing(data_dir: Path, tmp_path: Path) -> None:
    archive = tmp_path / "b.tar"
    backup.create_backup(data_dir, archive, data_dir / "files", io.StringIO())
    raw = bytearray(archive.read_bytes())
    with tarfile.open(archive) as tar:
        member = tar.getmember("files/proj/task.1/model.bin")
    raw[member.offset_data + 100] ^= 0xFF
    archive.write_bytes(bytes(raw))
    with pytest.raises(backup.VerifyError, match="SHA-256"):
        backup.restore_backup(archive, tmp_path / "r" / "data", None, io.StringIO())
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == []


def test_an_archive_without_its_manifest_is_refused(data_dir: Path, tmp_path: Path) -> None:
    archive = tmp_path / "b.tar"
    backup.create_backup(data_dir, archive, None, io.StringIO())
    with tarfile.open(archive) as tar:
        cut = tar.getmember(backup.MANIFEST).offset
    archive.write_bytes(archive.read_bytes()[:cut])
    with pytest.raises(backup.VerifyError, match="no manifest.json"):
        backup.restore_backup(archive, tmp_path / "r", None, io.StringIO())
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("name", ["data/../../evil", "/etc/evil", "other/x"])
def test_members_outside_the_layout_are_refused(tmp_path: Path, name: str) -> None:
    archive = tmp_path / "evil.tar"
    with tarfile.open(archive, "w") as tar:
        info = tarfile.TarInfo(name)
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(backup.VerifyError):
        backup.restore_backup(archive, tmp_path / "r" / "data", None, io.StringIO())
    assert not (tmp_path / "evil").exists() and not (tmp_path / "r" / "data").exists()


def test_a_file_that_is_no_archive_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar.zst"
    junk.write_bytes(b"\x28\xb5\x2f\xfd" + b"no frame" * 10)
    with pytest.raises(backup.VerifyError, match="not a readable backup"):
        backup.restore_backup(junk, tmp_path / "r", None, io.StringIO())


def test_what_cannot_run(data_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(backup.BackupError, match="not a data directory"):
        backup.create_backup(tmp_path / "nothing", tmp_path / "b.tar", None, io.StringIO())
    with pytest.raises(backup.BackupError, match="must end with"):
        backup.create_backup(data_dir, tmp_path / "b.zip", None, io.StringIO())
    (tmp_path / "taken.tar").write_bytes(b"")
    with pytest.raises(backup.BackupError, match="exists"):
        backup.create_backup(data_dir, tmp_path / "taken.tar", None, io.StringIO())
    backup.create_backup(data_dir, tmp_path / "b.tar", None, io.StringIO())
    with pytest.raises(backup.BackupError, match="not empty"):
        backup.restore_backup(tmp_path / "b.tar", data_dir, None, io.StringIO())


def test_the_commands_exit_codes(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = tmp_path / "b.tar.zst"
    assert main(["backup", "--data-dir", str(data_dir), "--to", str(archive)]) == 0
    assert "2 databases, 2 files" in capsys.readouterr().out
    assert main(["backup", "--data-dir", str(data_dir), "--to", str(archive)]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["restore", "--from", str(archive), "--data-dir", str(tmp_path / "r")]) == 0
    assert count(tmp_path / "r" / "events.sqlite") == 7
    assert main(["restore", "--from", str(archive), "--data-dir", str(tmp_path / "r")]) == 2
    archive.write_bytes(archive.read_bytes()[:200])
    assert main(["restore", "--from", str(archive), "--data-dir", str(tmp_path / "r2")]) == 1
    assert "not usable" in capsys.readouterr().err
