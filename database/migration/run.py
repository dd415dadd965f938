"""The whole migration: discover, plan, copy (in parallel), verify, report."""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TextIO

from . import state as st
from .copy import copy_remote, copy_scroll
from .destination import finish_index, install_templates, prepare_index
from .http import EsError, EsHttp
from .progress import Interrupted, Progress
from .source import SourceIndex, discover
from .verify import IndexCheck, verify_index

EXIT_OK, EXIT_MISMATCH, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130


class MigrationError(Exception):
    """The migration cannot run (bad URL, unreachable or unsuitable cluster)."""


@dataclass
class Options:
    source: str
    dest: str
    indices: str | None = None
    parallel: int = 2
    batch_size: int = 1000
    dry_run: bool = False
    resume: bool = False
    verify_only: bool = False
    remote_source: str | None = None  # the source URL as the destination node reaches it
    sample_size: int = 500
    seed: int = 1
    out: TextIO = field(default_factory=lambda: sys.stdout)


@dataclass
class Outcome:
    index: str
    copied: int = 0
    skipped: bool = False
    check: IndexCheck | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and (self.skipped or (self.check is not None and self.check.ok))


def migrate(opts: Options) -> int:
    """Run the migration described by ``opts``; returns the process exit code:
    0 everything verified, 1 a verification mismatch or a failed index, 2 cannot run."""
    src, dest = EsHttp(opts.source), EsHttp(opts.dest)
    try:
        return _migrate(opts, src, dest)
    except (EsError, MigrationError) as ex:
        print(f"migrate-es: {ex}", file=opts.out, flush=True)
        return EXIT_ERROR
    finally:
        src.close()
        dest.close()


def _migrate(opts: Options, src: EsHttp, dest: EsHttp) -> int:
    out = opts.out
    src_version, dest_version = _versions(src, dest)
    print(f"source      {src.display} (Elasticsearch {src_version})", file=out)
    print(f"destination {dest.display} (Elasticsearch {dest_version})", file=out)
    indices = discover(src, opts.indices)
    if not indices:
        print("no events-*, worker_stats_* or queue_metrics_* index found in the source: nothing to do", file=out)
        return EXIT_OK
    state = st.MigrationState(dest, src.display)
    records = state.load()
    todo, skipped = _plan(opts, indices, records)
    _print_plan(out, indices, todo, skipped, opts)
    if opts.dry_run:
        print("dry run: nothing was written", file=out, flush=True)
        return EXIT_OK
    state.ensure()
    if not opts.verify_only:
        names = install_templates(dest)
        print(f"templates installed: {', '.join(names)}", file=out, flush=True)
    progress = Progress(sum(i.docs for i in todo), out)
    started = time.monotonic()
    pool = ThreadPoolExecutor(max_workers=max(1, opts.parallel), thread_name_prefix="migrate")
    try:
        outcomes = list(pool.map(lambda i: _one(opts, src, dest, state, progress, i), todo))
    except KeyboardInterrupt:
        progress.stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        print("\ninterrupted: the source is unchanged; run again with --resume to go on", file=out, flush=True)
        return EXIT_INTERRUPTED
    pool.shutdown()
    elapsed = time.monotonic() - started
    outcomes += [Outcome(i.name, skipped=True) for i in skipped]
    return _report(out, outcomes, elapsed, opts)


def _versions(src: EsHttp, dest: EsHttp) -> tuple[str, str]:
    if src.url == dest.url:
        raise MigrationError(f"--source and --dest are the same cluster ({src.display})")
    try:
        src_version, dest_version = src.version(), dest.version()
    except EsError as ex:
        raise MigrationError(f"cannot reach Elasticsearch: {ex}") from ex
    if dest_version[:1] != (7,):
        raise MigrationError(
            f"the destination {dest.display} runs Elasticsearch {_dotted(dest_version)}; it must be 7.x"
        )
    if src_version[:1] < (5,):
        raise MigrationError(f"the source {src.display} runs Elasticsearch {_dotted(src_version)}; 5.x expected")
    return _dotted(src_version), _dotted(dest_version)


def _dotted(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version)) or "?"


def _plan(
    opts: Options, indices: list[SourceIndex], records: dict[str, dict]
) -> tuple[list[SourceIndex], list[SourceIndex]]:
    todo: list[SourceIndex] = []
    skipped: list[SourceIndex] = []
    for index in indices:
        if index.status != "open":
            raise MigrationError(
                f"source index {index.name} is {index.status}: open it first (POST /{index.name}/_open)"
            )
        record = records.get(index.name, {})
        done = record.get("status") == st.VERIFIED and record.get("source_docs") == index.docs
        (skipped if opts.resume and done else todo).append(index)
    return todo, skipped


def _print_plan(
    out: TextIO, indices: list[SourceIndex], todo: list[SourceIndex], skipped: list[SourceIndex], opts: Options
) -> None:
    action = "verify" if opts.verify_only else "copy + verify"
    total = sum(i.docs for i in todo)
    print(f"{len(indices)} indices found; {action} {len(todo)} ({total:,} documents)", file=out)
    for index in todo:
        print(f"  {index.name}: {index.docs:,} documents", file=out)
    for index in skipped:
        print(f"  {index.name}: already verified, skipped (--resume)", file=out)
    out.flush()


def _one(
    opts: Options, src: EsHttp, dest: EsHttp, state: st.MigrationState, progress: Progress, index: SourceIndex
) -> Outcome:
    outcome = Outcome(index.name)
    try:
        if not opts.verify_only:
            state.record(index.name, st.COPYING, source_docs=index.docs)
            progress.start_index(index.name, index.docs)
            prepare_index(dest, index.name)
            if opts.remote_source:
                outcome.copied = copy_remote(dest, opts.remote_source, index.name, opts.batch_size, progress)
            else:
                outcome.copied = copy_scroll(src, dest, index.name, opts.batch_size, progress)
            finish_index(dest, index.name)
            progress.finish_index(index.name)
            state.record(index.name, st.COPIED, source_docs=index.docs)
        check = verify_index(src, dest, index.name, opts.sample_size, opts.seed)
        outcome.check = check
        status = st.VERIFIED if check.ok else st.FAILED
        state.record(index.name, status, source_docs=check.source_docs, dest_docs=check.dest_docs)
    except Interrupted:
        outcome.error = "interrupted"  # its record stays "copying": --resume copies it again
    except Exception as ex:  # one index failing must not hide the others' report
        outcome.error = str(ex) if isinstance(ex, EsError) else f"{type(ex).__name__}: {ex}"
        state.record(index.name, st.FAILED, source_docs=index.docs, error=outcome.error[:2000])
    return outcome


def _report(out: TextIO, outcomes: list[Outcome], elapsed: float, opts: Options) -> int:
    print("\nreport", file=out)
    copied = sum(o.copied for o in outcomes)
    print_outcomes(out, sorted(outcomes, key=lambda o: o.index), "destination")
    bad = [o for o in outcomes if not o.ok]
    if not opts.verify_only:
        rate = copied / elapsed if elapsed > 0 else 0.0
        print(f"copied {copied:,} documents in {elapsed:.1f}s ({rate:,.0f} docs/s)", file=out)
    if bad:
        print(f"{len(bad)} of {len(outcomes)} indices NOT verified: see above; the source is unchanged", file=out)
        out.flush()
        return EXIT_MISMATCH
    print(f"all {len(outcomes)} indices verified", file=out, flush=True)
    return EXIT_OK


def print_outcomes(out: TextIO, outcomes: list[Outcome], target_word: str) -> None:
    """One report line per index (or unit), with the problems found under it."""
    for o in outcomes:
        if o.skipped:
            print(f"  skipped   {o.index} (verified by an earlier run)", file=out)
        elif o.error:
            print(f"  FAILED    {o.index}: {o.error}", file=out)
        elif o.check is not None:
            c = o.check
            word = "ok      " if c.ok else "MISMATCH"
            print(
                f"  {word}  {o.index}: source {c.source_docs:,}, {target_word} {c.dest_docs:,}, "
                f"{c.sampled:,} sampled documents compared",
                file=out,
            )
            for problem in c.problems:
                print(f"            - {problem}", file=out)
