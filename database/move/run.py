"""The whole move: check both ends, plan, copy unit by unit, verify, report."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ..migration.http import EsError
from ..migration.progress import Interrupted, Progress
from ..migration.run import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_MISMATCH, EXIT_OK, Outcome, print_outcomes
from . import state as st
from .copy import copy_unit
from .files import FilesCheck, copy_files, verify_files
from .source import EmbeddedSource, SourceError, Unit
from .target import TargetError, TargetUrls, TeamTarget
from .verify import verify_unit

FILES_UNIT = "file store"


class MoveError(Exception):
    """The move cannot run (exit code 2)."""


@dataclass
class Options:
    data_dir: Path
    target: TargetUrls
    files_from: Path | None = None
    files_to: Path | None = None
    dry_run: bool = False
    resume: bool = False
    merge: bool = False
    verify_only: bool = False
    page_size: int = 2000
    writers: int = 2
    sample_size: int = 500
    seed: int = 1
    out: TextIO = field(default_factory=lambda: sys.stdout)


def move_store(opts: Options, client_options: dict[str, Any]) -> int:
    """Run the move; returns the exit code: 0 every unit verified, 1 a mismatch or a
    failed unit, 2 the move cannot run, 130 interrupted."""
    lock = None
    source: EmbeddedSource | None = None
    target: TeamTarget | None = None
    try:
        if not opts.dry_run:
            from ..embedded import DataDirLock

            lock = DataDirLock(opts.data_dir)
            try:
                lock.acquire()
            except RuntimeError as ex:
                lock = None
                raise MoveError(f"{ex} (stop the embedded server before moving its data)") from ex
        source = EmbeddedSource(opts.data_dir)
        target = TeamTarget(opts.target, client_options)
        return _move(opts, source, target)
    except (MoveError, SourceError, TargetError, EsError) as ex:
        print(f"move-store: {ex}", file=opts.out, flush=True)
        return EXIT_ERROR
    finally:
        if target is not None:
            target.close()
        if source is not None:
            source.close()
        if lock is not None:
            lock.release()


def _move(opts: Options, source: EmbeddedSource, target: TeamTarget) -> int:
    out = opts.out
    print(f"source  {opts.data_dir} (embedded)", file=out)
    for line in target.describe():
        print(f"target  {line}", file=out)
    units = source.units()
    state = st.MoveState(target, str(opts.data_dir))
    records = state.load()
    if opts.verify_only:
        return _verify_only(opts, source, target, state, units)
    _check_target(opts, target, records, units)
    todo = [u for u in units if not (opts.resume and _verified(records.get(u.name), u))]
    _print_plan(out, units, todo, opts)
    if opts.dry_run:
        print("dry run: nothing was written", file=out, flush=True)
        return EXIT_OK
    state.begin()
    print(f"templates installed: {', '.join(target.prepare())}", file=out, flush=True)
    files = _files_to_copy(opts)
    progress = Progress(sum(u.docs for u in todo) + len(files), out)
    started = time.monotonic()
    outcomes: list[Outcome] = []
    rates: dict[str, list[float]] = {}
    try:
        for unit in todo:
            outcome, seconds = _one(opts, source, target, state, progress, unit, records.get(unit.name, {}))
            outcomes.append(outcome)
            kind = rates.setdefault(unit.kind, [0, 0.0])
            kind[0] += outcome.copied
            kind[1] += seconds
        files_check = _move_files(opts, progress, files) if opts.files_to else None
    except KeyboardInterrupt:
        progress.stop.set()
        print("\ninterrupted: the source is unchanged; run again with --resume to go on", file=out, flush=True)
        return EXIT_INTERRUPTED
    elapsed = time.monotonic() - started
    outcomes += [Outcome(u.name, skipped=True) for u in units if u not in todo]
    return _report(out, outcomes, files_check, elapsed, rates)


def _verify_only(
    opts: Options, source: EmbeddedSource, target: TeamTarget, state: st.MoveState, units: list[Unit]
) -> int:
    """Only the verification (after a move, or a later look); recorded in the marker."""
    print(f"{len(units)} units found; verify {len(units)}", file=opts.out, flush=True)
    started = time.monotonic()
    outcomes = []
    for unit in units:
        outcome = Outcome(unit.name)
        try:
            outcome.check = verify_unit(source, target, unit, opts.sample_size, opts.seed, merged=opts.merge)
        except EsError as ex:
            outcome.error = str(ex)
        else:
            status = st.VERIFIED if outcome.check.ok else st.FAILED
            state.record(unit.name, status, source_docs=unit.docs, target_docs=outcome.check.dest_docs)
        outcomes.append(outcome)
    files = None
    if opts.files_to and opts.files_from is not None and opts.files_from.is_dir():
        files = verify_files(opts.files_from, opts.files_to, opts.sample_size, opts.seed)
    return _report(opts.out, outcomes, files, time.monotonic() - started, {})


def _check_target(opts: Options, target: TeamTarget, records: dict[str, dict[str, Any]], units: list[Unit]) -> None:
    """Refuse a target that holds anything but this move's own earlier run."""
    if opts.merge:
        return
    earlier = {k: v for k, v in records.items() if k != st.RUN}
    if records and not opts.resume:
        verified = sum(1 for r in earlier.values() if r.get("status") == st.VERIFIED)
        raise MoveError(
            f"the target holds an earlier move-store run ({verified} of {len(earlier)} units verified, "
            f"from {records.get(st.RUN, {}).get('source', '?')}): run again with --resume to go on, "
            "or with --merge to copy everything again over it"
        )
    if records:
        return
    found = target.contents(units)
    if found:
        shown = "\n  ".join(found[:10]) + ("\n  ..." if len(found) > 10 else "")
        raise MoveError(
            f"the target is not empty:\n  {shown}\nmove into empty stores, or add --merge to copy into "
            "these (documents with the same id are replaced by the source's)"
        )


def _verified(record: dict[str, Any] | None, unit: Unit) -> bool:
    return bool(record) and record.get("status") == st.VERIFIED and record.get("source_docs") == unit.docs  # type: ignore[union-attr]


def _print_plan(out: TextIO, units: list[Unit], todo: list[Unit], opts: Options) -> None:
    total = sum(u.docs for u in todo)
    print(f"{len(units)} units found; copy + verify {len(todo)} ({total:,} documents)", file=out)
    for unit in units:
        note = "" if unit in todo else ", already verified, skipped (--resume)"
        print(f"  {unit.kind:9} {unit.name}: {unit.docs:,}{note}", file=out)
    if opts.files_to:
        print(f"  files     {opts.files_from} -> {opts.files_to}", file=out)
    out.flush()


def _one(
    opts: Options,
    source: EmbeddedSource,
    target: TeamTarget,
    state: st.MoveState,
    progress: Progress,
    unit: Unit,
    record: dict[str, Any],
) -> tuple[Outcome, float]:
    """Copy and verify one unit; the outcome and the seconds the copy took."""
    outcome = Outcome(unit.name)
    resume_from = record if opts.resume else {}
    began = time.monotonic()
    seconds = 0.0
    try:
        fields: dict[str, Any] = {"source_docs": unit.docs, "kind": unit.kind}
        if resume_from.get("status") != st.COPYING or not resume_from.get("after"):
            fields.update(after=None, copied=0)  # a key left by a failed or changed unit is not a place to go on
        state.record(unit.name, st.COPYING, **fields)
        progress.start_index(unit.name, unit.docs)
        outcome.copied = copy_unit(
            source,
            target,
            state,
            progress,
            unit,
            record=resume_from,
            replace=opts.merge or bool(resume_from),
            page_size=opts.page_size,
            writers=opts.writers,
        )
        progress.finish_index(unit.name)
        seconds = time.monotonic() - began
        state.record(unit.name, st.COPIED)
        check = verify_unit(source, target, unit, opts.sample_size, opts.seed, merged=opts.merge)
        outcome.check = check
        state.record(unit.name, st.VERIFIED if check.ok else st.FAILED, target_docs=check.dest_docs)
    except Interrupted:
        outcome.error = "interrupted"
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as ex:  # one unit failing must not hide the others' report
        outcome.error = str(ex) if isinstance(ex, EsError) else f"{type(ex).__name__}: {ex}"
        state.record(unit.name, st.FAILED, error=outcome.error[:2000])
    return outcome, seconds or time.monotonic() - began


def _files_to_copy(opts: Options) -> list[Path]:
    if not opts.files_to or opts.files_from is None or not opts.files_from.is_dir():
        return []
    from .files import list_files

    return list_files(opts.files_from)


def _move_files(opts: Options, progress: Progress, files: list[Path]) -> FilesCheck:
    assert opts.files_to is not None
    if opts.files_from is None or not opts.files_from.is_dir():
        return FilesCheck()
    progress.start_index(FILES_UNIT, len(files))
    copied = copy_files(opts.files_from, opts.files_to, progress, FILES_UNIT)
    progress.finish_index(FILES_UNIT)
    check = verify_files(opts.files_from, opts.files_to, opts.sample_size, opts.seed)
    check.bytes, check.copied = copied.bytes, copied.copied
    return check


def _report(
    out: TextIO, outcomes: list[Outcome], files: FilesCheck | None, elapsed: float, rates: dict[str, list[float]]
) -> int:
    print("\nreport", file=out)
    print_outcomes(out, outcomes, "target")
    bad = [o for o in outcomes if not o.ok]
    if files is not None:
        word = "ok      " if not files.problems else "MISMATCH"
        print(
            f"  {word}  {FILES_UNIT}: {files.files:,} files ({files.copied:,} copied, {files.bytes:,} bytes)", file=out
        )
        for problem in files.problems[:10]:
            print(f"            - {problem}", file=out)
    copied = sum(o.copied for o in outcomes)
    rate = copied / elapsed if elapsed > 0 else 0.0
    if rates:  # not for --verify-only
        print(f"copied {copied:,} documents in {elapsed:.1f}s ({rate:,.0f} docs/s)", file=out)
    for kind, (count, seconds) in rates.items():  # the copy of the units of a kind (not their verification)
        print(f"  {kind}: {count:,.0f} in {seconds:.1f}s ({count / max(seconds, 1e-6):,.0f}/s)", file=out)
    if bad or (files is not None and files.problems):
        print(f"{len(bad)} of {len(outcomes)} units NOT verified: see above; the source is unchanged", file=out)
        out.flush()
        return EXIT_MISMATCH
    print(f"all {len(outcomes)} units verified", file=out, flush=True)
    return EXIT_OK
