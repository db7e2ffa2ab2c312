"""Neo4j Community 5.26 for the tests: build the launcher in ``tests/neo4j`` once
per machine, start it on a free loopback port, stop it by its process id.

The launcher (``tests/neo4j/src/.../Neo4jLauncher.java``) is compiled by Maven;
the compiled classes and the resolved classpath are kept under
``tests/neo4j/target`` (gitignored) with a stamp of the sources, so only the
first build (or a change to ``pom.xml`` or the Java source) runs Maven. The
first build downloads about 165 MB of jars from Maven Central into ``~/.m2``.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import threading
from pathlib import Path

LAUNCHER_DIR = Path(__file__).resolve().parent / "neo4j"
TARGET = LAUNCHER_DIR / "target"
MAIN_CLASS = "org.colearn.testing.Neo4jLauncher"
#: JVM options: a 2 GB heap (1 GB spent seconds a minute in full collections),
#: and the client compiler only (C1), which warms up in seconds where C2 spends
#: minutes of a test session's two cores.
JAVA_OPTS = ("-Xms1g", "-Xmx2g", "-XX:+UseParallelGC", "-XX:TieredStopAtLevel=1")
READY = re.compile(r"^colearn-neo4j ready (bolt://127\.0\.0\.1:\d+)$")


class LauncherError(RuntimeError):
    """The launcher could not be built or did not start; the message says why."""


def tools_missing() -> list[str]:
    """The names of the tools the launcher needs that are not on ``PATH`` (``java``, ``mvn``)."""
    return [tool for tool in ("java", "mvn") if shutil.which(tool) is None]


def _source_stamp() -> str:
    digest = hashlib.sha256()
    for path in sorted([LAUNCHER_DIR / "pom.xml", *(LAUNCHER_DIR / "src").rglob("*.java")]):
        digest.update(path.relative_to(LAUNCHER_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def build(timeout_s: float = 900.0) -> str:
    """Compile the launcher unless an up-to-date build is cached; return its Java classpath.
    One process builds at a time (a lock on ``target/build.lock``): the others then find its build.

    Raises:
        LauncherError: Maven failed (its last output lines are in the message).
    """
    TARGET.mkdir(parents=True, exist_ok=True)
    with open(TARGET / "build.lock", "w") as lock:  # pytest-xdist workers build one at a time
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build(timeout_s)


def _build(timeout_s: float) -> str:
    stamp_file, cp_file = TARGET / "colearn-stamp", TARGET / "classpath.txt"
    stamp = _source_stamp()
    if stamp_file.exists() and cp_file.exists() and stamp_file.read_text() == stamp:
        classpath = cp_file.read_text().strip()
        if all(Path(p).exists() for p in classpath.split(os.pathsep)):
            return f"{TARGET / 'classes'}{os.pathsep}{classpath}"
    proc = subprocess.run(
        ["mvn", "-q", "-B", "-f", str(LAUNCHER_DIR / "pom.xml"), "compile", "dependency:build-classpath",
         f"-Dmdep.outputFile={cp_file}"],
        capture_output=True, text=True, timeout=timeout_s, check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-20:])
        raise LauncherError(f"building the Neo4j launcher ({LAUNCHER_DIR / 'pom.xml'}) failed:\n{tail}")
    stamp_file.write_text(stamp)
    return f"{TARGET / 'classes'}{os.pathsep}{cp_file.read_text().strip()}"


class Neo4jLauncher:
    """One Neo4j server process for a test session.

    ``start`` returns at once; ``wait_ready`` blocks until the launcher prints its
    ready line and returns the Bolt URI. The user is ``neo4j`` with a random
    password (``self.password``); all files live under ``home``.
    """

    def __init__(self, home: Path, classpath: str) -> None:
        self.home = home
        self.classpath = classpath
        self.password = secrets.token_urlsafe(18)
        self.uri: str | None = None
        self.proc: subprocess.Popen[str] | None = None
        self._ready = threading.Event()
        self._output: list[str] = []

    def start(self) -> None:
        """Start the server process (returns before it is ready)."""
        env = {**os.environ, "NEO4J_LAUNCHER_PASSWORD": self.password}
        self.proc = subprocess.Popen(
            ["java", *JAVA_OPTS, *os.environ.get("COLEARN_NEO4J_JAVA_OPTS", "").split(), "-cp", self.classpath, MAIN_CLASS, str(self.home)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, env=env)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            self._output.append(line)
            del self._output[:-40]
            match = READY.match(line)
            if match:
                self.uri = match.group(1)
                self._ready.set()
        self._ready.set()  # process ended: wake the waiter

    def wait_ready(self, timeout_s: float = 240.0) -> str:
        """Block until the server answers on Bolt; return ``bolt://127.0.0.1:PORT``.

        Raises:
            LauncherError: the process ended or did not get ready in ``timeout_s``.
        """
        self._ready.wait(timeout_s)
        if self.uri is None:
            self.stop()
            raise LauncherError(f"Neo4j did not start within {timeout_s:.0f} s; its last output:\n"
                                + "\n".join(self._output[-20:]))
        return self.uri

    def stop(self, timeout_s: float = 60.0) -> None:
        """SIGTERM the process (the launcher shuts Neo4j down cleanly); SIGKILL after ``timeout_s``."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
