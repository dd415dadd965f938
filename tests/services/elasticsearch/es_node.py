"""A real Elasticsearch 7.17 node for tests, started from jars on Maven Central.

Pure standard library. The Maven project beside this file (pom.xml, src/) builds
target/es-node.jar and target/lib/*.jar once; afterwards a node is a plain
``java -cp ... stationmaster.esnode.EsNode`` process, started in a few seconds.

    from es_node import EsNode, build

    build()                         # no-op when target/ is up to date
    with EsNode() as node:          # free port, temporary data dir
        urllib.request.urlopen(node.url + "/_cluster/health")

    node = EsNode(heap="768m")
    url = node.start(port=9250, data_dir="/tmp/es1",
                     settings={"reindex.remote.whitelist": "127.0.0.1:*"})
    ...
    node.stop()

Manual use: ``python tests/services/elasticsearch/es_node.py --port 9250``.

JVM options: the defaults below (what bin/elasticsearch would pass, minus
-XX:+AlwaysPreTouch), then ``-Xms/-Xmx`` from ``heap``, then the ES_JAVA_OPTS
environment variable, then ``java_opts``; a later option wins.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import fcntl
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET = HERE / "target"
JAR = TARGET / "es-node.jar"
LIB = TARGET / "lib"
STAMP = TARGET / "es-node.build-stamp"
MAIN_CLASS = "stationmaster.esnode.EsNode"
LOG_NAME = "es-node.log"
READY_RE = re.compile(rb"ES_NODE_READY (http://[0-9.]+:\d+)")

DEFAULT_HEAP = "512m"
DEFAULT_JVM_OPTS = [
    # C1 only: about 1.5 s faster to start on 2 cores, and no slower for test-sized work.
    "-XX:TieredStopAtLevel=1",
    "-XX:+UseG1GC",
    "-XX:+ExitOnOutOfMemoryError",
    "-Xss1m",
    "-Djava.awt.headless=true",
    "-Dfile.encoding=UTF-8",
    "-Djna.nosys=true",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+ShowCodeDetailsInExceptionMessages",
    "-Dio.netty.noUnsafe=true",
    "-Dio.netty.noKeySetOptimization=true",
    "-Dio.netty.recycler.maxCapacityPerThread=0",
    "-Dio.netty.allocator.numDirectArenas=0",
    "-Dlog4j.shutdownHookEnabled=false",
    "-Dlog4j2.disable.jmx=true",
    "-Dlog4j2.formatMsgNoLookups=true",
    # ES 7.x parses dates with the JDK's COMPAT locale data, as bin/elasticsearch sets.
    "-Djava.locale.providers=SPI,COMPAT",
]


class EsNodeError(RuntimeError):
    """The node could not be built, started or reached."""


# --------------------------------------------------------------------------- build


def _inputs_digest() -> str:
    """Hash of everything the Maven build reads from this directory."""
    h = hashlib.sha256()
    files = [HERE / "pom.xml"] + sorted(p for p in (HERE / "src").rglob("*") if p.is_file())
    for p in files:
        h.update(str(p.relative_to(HERE)).encode() + b"\0")
        h.update(p.read_bytes() + b"\0")
    return h.hexdigest()


def is_built() -> bool:
    """True when target/ holds a build of the current pom.xml and sources."""
    try:
        return (
            JAR.is_file()
            and any(LIB.glob("elasticsearch-7.17.*.jar"))
            and STAMP.read_text().strip() == _inputs_digest()
        )
    except OSError:
        return False


def build(timeout: float = 900) -> None:
    """Run ``mvn package`` unless target/ is already up to date.

    Idempotent and safe to call from several processes at once (a file lock
    serialises them); quick (a hash of the sources) when nothing changed.
    Dependencies are cached in ~/.m2, the result in target/.
    """
    if is_built():
        return
    TARGET.mkdir(exist_ok=True)
    with open(TARGET / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if is_built():  # another process built it while we waited
                return
            mvn = shutil.which("mvn")
            if mvn is None:
                raise EsNodeError("mvn (Maven 3) not found on PATH")
            STAMP.unlink(missing_ok=True)
            cmd = [mvn, "-B", "-q", "package"]
            try:
                res = subprocess.run(
                    cmd,
                    cwd=HERE,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    timeout=timeout,
                )
            except subprocess.TimeoutExpired as e:
                raise EsNodeError(f"{' '.join(cmd)} timed out after {timeout}s") from e
            if res.returncode != 0:
                tail = "\n".join(res.stdout.decode(errors="replace").splitlines()[-50:])
                raise EsNodeError(f"{' '.join(cmd)} failed (exit {res.returncode}):\n{tail}")
            STAMP.write_text(_inputs_digest() + "\n")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _java() -> str:
    home = os.environ.get("JAVA_HOME")
    if home and Path(home, "bin", "java").is_file():
        return str(Path(home, "bin", "java"))
    java = shutil.which("java")
    if java is None:
        raise EsNodeError("java (JDK 17+) not found: set JAVA_HOME or put java on PATH")
    return java


def _setting_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return ",".join(str(x) for x in v)
    return str(v)


def _tail(path: Path, n: int = 50) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 256 * 1024))
            lines = f.read().decode(errors="replace").splitlines()
    except OSError as e:
        return f"(no log: {e})"
    return "\n".join(lines[-n:])


# --------------------------------------------------------------------------- node

# Running nodes, stopped at interpreter exit. (If this process is killed outright, the
# JVM notices through --exit-with-parent and stops itself.)
_live_nodes: set[EsNode] = set()


@atexit.register
def _stop_leftovers() -> None:
    for node in list(_live_nodes):
        with contextlib.suppress(Exception):
            node.stop()


class EsNode:
    """One Elasticsearch 7.17 node in its own JVM, bound to 127.0.0.1.

    The constructor only records defaults; ``start()`` launches the JVM. As a
    context manager it starts on entry (unless already started) and stops on exit.
    """

    def __init__(
        self,
        port: int | None = None,
        data_dir: str | os.PathLike | None = None,
        settings: dict | None = None,
        heap: str = DEFAULT_HEAP,
        java_opts: list[str] | None = None,
    ):
        self._default_port = port
        self._default_data_dir = data_dir
        self._default_settings = dict(settings or {})
        self.heap = heap
        self.java_opts = list(java_opts or [])
        self.proc: subprocess.Popen | None = None
        self.url: str | None = None
        self.port: int | None = None
        self.data_dir: Path | None = None
        self.log_path: Path | None = None
        self._owns_data_dir = False
        self._log_fh = None
        self._lock = threading.Lock()

    # -- public API -------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def is_running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(
        self,
        port: int | None = None,
        data_dir: str | os.PathLike | None = None,
        settings: dict | None = None,
        timeout: float = 180,
    ) -> str:
        """Start the node and wait until the cluster is at least yellow.

        ``port``: HTTP port on 127.0.0.1; None lets the OS choose a free one.
        ``data_dir``: holds data/, logs/, config/, tmp/ and es-node.log (the JVM's
        output); created if missing and never deleted. None: a temporary
        directory that ``stop()`` removes.
        ``settings``: node settings passed as -Ekey=value, over the defaults
        (single-node discovery, 127.0.0.1, disk watermarks off), e.g.
        ``{"reindex.remote.whitelist": "127.0.0.1:*"}``.
        Returns the base URL, e.g. ``http://127.0.0.1:9250``.
        """
        with self._lock:
            if self.is_running():
                raise EsNodeError(f"node already running at {self.url}")
            port = self._default_port if port is None else port
            data_dir = self._default_data_dir if data_dir is None else data_dir
            merged = dict(self._default_settings)
            merged.update(settings or {})
            build()

            if data_dir is None:
                self.data_dir = Path(tempfile.mkdtemp(prefix="es-node-"))
                self._owns_data_dir = True
            else:
                self.data_dir = Path(data_dir).resolve()
                self.data_dir.mkdir(parents=True, exist_ok=True)
                self._owns_data_dir = False
            (self.data_dir / "tmp").mkdir(exist_ok=True)
            self.log_path = self.data_dir / LOG_NAME

            cmd = [
                _java(),
                *DEFAULT_JVM_OPTS,
                f"-Xms{self.heap}",
                f"-Xmx{self.heap}",
                f"-Djava.io.tmpdir={self.data_dir / 'tmp'}",
                *shlex.split(os.environ.get("ES_JAVA_OPTS", "")),
                *self.java_opts,
                "-cp",
                f"{JAR}{os.pathsep}{LIB / '*'}",
                MAIN_CLASS,
                "--port",
                str(port or 0),
                "--base",
                str(self.data_dir),
                "--exit-with-parent",
                str(os.getpid()),
            ]
            cmd += [f"-E{k}={_setting_value(v)}" for k, v in merged.items()]

            self._log_fh = open(self.log_path, "ab")
            log_start = self._log_fh.tell()
            self._log_fh.write(
                f"\n==== es_node.py start {time.strftime('%Y-%m-%dT%H:%M:%S')}: {shlex.join(cmd)}\n".encode()
            )
            self._log_fh.flush()
            self.proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=self._log_fh, stderr=subprocess.STDOUT, start_new_session=True
            )
            _live_nodes.add(self)
            try:
                self._wait_ready(log_start, timeout)
            except BaseException:
                self._terminate()
                self._remove_owned_data_dir()  # the exception already carries the log tail
                raise
            return self.url

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM, wait up to ``timeout`` s, then SIGKILL. Idempotent.

        Deletes the data directory only if ``start()`` created it as a temp dir.
        """
        with self._lock:
            self._terminate(timeout)
            self._remove_owned_data_dir()

    def log_tail(self, n: int = 50) -> str:
        return _tail(self.log_path, n) if self.log_path else ""

    def __enter__(self) -> EsNode:
        if not self.is_running():
            self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"EsNode(url={self.url!r}, pid={self.pid}, data_dir={str(self.data_dir)!r})"

    # -- internals --------------------------------------------------------------

    def _fail(self, why: str) -> EsNodeError:
        where = f"{self.log_path}{' (temporary, removed after this failure)' if self._owns_data_dir else ''}"
        return EsNodeError(f"{why}\n--- last 50 lines of {where} ---\n{self.log_tail(50)}")

    def _wait_ready(self, log_start: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        self.url = None
        while time.monotonic() < deadline:
            code = self.proc.poll()
            if code is not None:
                raise self._fail(f"Elasticsearch exited with code {code} during start-up")
            if self.url is None:
                with open(self.log_path, "rb") as f:
                    f.seek(log_start)
                    m = READY_RE.search(f.read())
                if m:
                    self.url = m.group(1).decode()
                    self.port = int(self.url.rsplit(":", 1)[1])
            if self.url is not None:
                try:
                    with urllib.request.urlopen(
                        self.url + "/_cluster/health?wait_for_status=yellow&timeout=5s", timeout=10
                    ) as resp:
                        health = json.load(resp)
                    if health.get("status") in ("yellow", "green"):
                        return
                except (urllib.error.URLError, OSError, ValueError):
                    pass
            time.sleep(0.2)
        raise self._fail(f"Elasticsearch not ready within {timeout}s")

    def _remove_owned_data_dir(self) -> None:
        if self._owns_data_dir and self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self._owns_data_dir = False

    def _terminate(self, timeout: float = 30) -> None:
        proc = self.proc
        if proc is not None:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        proc.kill()
                    proc.wait()
            self.proc = None
            _live_nodes.discard(self)
        if self._log_fh is not None:
            self._log_fh.close()
            self._log_fh = None


# --------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Run a real Elasticsearch 7.17 node in the foreground.")
    ap.add_argument("--port", type=int, default=None, help="HTTP port on 127.0.0.1 (default: a free one)")
    ap.add_argument("--data-dir", default=None, help="data/log directory (default: a temp dir, removed at exit)")
    ap.add_argument("--heap", default=DEFAULT_HEAP, help=f"JVM heap, -Xms and -Xmx (default {DEFAULT_HEAP})")
    ap.add_argument(
        "-E",
        dest="settings",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="node setting, repeatable, e.g. -E reindex.remote.whitelist=127.0.0.1:*",
    )
    ap.add_argument("--build-only", action="store_true", help="build target/ and exit")
    ap.add_argument("--timeout", type=float, default=180)
    args = ap.parse_args(argv)

    t0 = time.monotonic()
    build()
    if args.build_only:
        print(f"built in {time.monotonic() - t0:.1f}s: {JAR}")
        return 0
    settings = {}
    for kv in args.settings:
        key, sep, value = kv.partition("=")
        if not sep:
            ap.error(f"-E expects KEY=VALUE, got {kv!r}")
        settings[key] = value

    node = EsNode(heap=args.heap)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    t0 = time.monotonic()
    try:
        url = node.start(port=args.port, data_dir=args.data_dir, settings=settings, timeout=args.timeout)
        print(
            f"Elasticsearch ready at {url} (pid {node.pid}, {time.monotonic() - t0:.1f}s); "
            f"log: {node.log_path}; Ctrl-C to stop",
            flush=True,
        )
        while not stop.is_set() and node.is_running():
            stop.wait(0.5)
        if not node.is_running():
            print("Elasticsearch exited on its own:\n" + node.log_tail(20), file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        pass
    except EsNodeError as e:
        print(e, file=sys.stderr)
        return 1
    finally:
        node.stop()
        print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
