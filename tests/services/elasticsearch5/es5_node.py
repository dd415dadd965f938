"""A real Elasticsearch 5.6.16 node for the migration tests, from Maven Central jars.

Pure standard library. ``build()`` runs ``mvn -q package`` once (pom.xml, src/) into
target/; ``Es5Node`` starts ``java -cp target/es5-node.jar:target/lib/* ...Es5Node`` on
free loopback ports with a temporary data directory and stops it again.

    with Es5Node() as node:
        urllib.request.urlopen(node.url)

It runs on Java 17 as it is: ``Node`` is started directly (no Bootstrap, so no security
manager, bootstrap checks or JarHell), with Netty's Unsafe use switched off.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET = HERE / "target"
STAMP = TARGET / "es5-node.build-stamp"
JVM_OPTS = [
    "-XX:TieredStopAtLevel=1",
    "-XX:+UseG1GC",
    "-Djava.awt.headless=true",
    "-Dfile.encoding=UTF-8",
    "-Djna.nosys=true",
    "-Dio.netty.noUnsafe=true",
    "-Dio.netty.noKeySetOptimization=true",
    "-Dio.netty.recycler.maxCapacityPerThread=0",
    "-Dlog4j2.formatMsgNoLookups=true",
]


class Es5NodeError(RuntimeError):
    pass


def _digest() -> str:
    h = hashlib.sha256((HERE / "pom.xml").read_bytes())
    for path in sorted((HERE / "src").rglob("*")):
        if path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()


def build(timeout: float = 900) -> None:
    """Build target/ unless it is up to date (a file lock serialises concurrent callers)."""
    TARGET.mkdir(exist_ok=True)
    with open(TARGET / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if STAMP.exists() and STAMP.read_text().strip() == _digest() and (TARGET / "es5-node.jar").exists():
                return
            subprocess.run(["mvn", "-B", "-q", "package"], cwd=HERE, check=True, timeout=timeout)
            STAMP.write_text(_digest() + "\n")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _java() -> str:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    found = shutil.which("java")
    if not found:
        raise Es5NodeError("java not found")
    return found


class Es5Node:
    """One node; ``start()`` returns its URL once it answers, ``stop()`` ends it."""

    def __init__(self, heap: str = "384m") -> None:
        self.heap = heap
        self.url = ""
        self.base: Path | None = None
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120) -> str:
        build()
        self.base = Path(tempfile.mkdtemp(prefix="sm-es5-"))
        port = _free_port()
        cmd = [
            _java(),
            f"-Xms{self.heap}",
            f"-Xmx{self.heap}",
            *JVM_OPTS,
            "-cp",
            f"{TARGET / 'es5-node.jar'}:{TARGET / 'lib'}/*",
            "stationmaster.esnode5.Es5Node",
            "--port",
            str(port),
            "--transport-port",
            str(_free_port()),
            "--base",
            str(self.base),
            "--exit-with-parent",
            str(os.getpid()),
        ]
        log = open(self.base / "es5-node.log", "wb")
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                tail = (self.base / "es5-node.log").read_text(errors="replace")[-4000:]
                self.stop()
                raise Es5NodeError(f"Elasticsearch 5.6 node exited: {tail}")
            try:
                with urllib.request.urlopen(f"{self.url}/_cluster/health?wait_for_status=yellow&timeout=1s", timeout=3):
                    return self.url
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise Es5NodeError(f"Elasticsearch 5.6 node did not answer within {timeout}s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None
        if self.base:
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None

    def __enter__(self) -> Es5Node:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
