"""A throw-away PostgreSQL cluster on a free local port, for the tests and the scale rehearsal.

Debian's `postgresql` package (installed by `scripts/setup-system.sh`) provides the binaries; the
cluster lives in a folder of the caller's choosing, listens on 127.0.0.1 only, trusts local
connections as the `ppid` role and trades durability for speed (nothing in it outlives the run).
When the server cannot start, `PgClusterError` says why with the end of its log: a caller must
fail loudly, never carry on without PostgreSQL.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

ROLE = "ppid"
START_TIMEOUT_S = 60


class PgClusterError(Exception):
    """PostgreSQL is missing or its throw-away cluster did not start."""


@dataclass
class PgCluster:
    """A running cluster; `stop()` shuts it down ("fast" shutdown) and waits."""

    folder: Path
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, database: str = "postgres", driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://{ROLE}@{self.address}/{database}"

    def create_database(self, name: str) -> str:
        """Create database `name`; returns its psycopg URL."""
        psql = [str(binaries() / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", ROLE]
        done = subprocess.run(
            [*psql, "-d", "postgres", "-qc", f'CREATE DATABASE "{name}"'],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise PgClusterError(f"CREATE DATABASE {name} failed: {done.stderr.strip()}")
        return self.url(name)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def binaries() -> Path:
    """The folder of initdb, postgres, pg_isready and psql (Debian keeps them off the PATH)."""
    candidates = (shutil.which("pg_ctl"), *sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")))
    for found in reversed([c for c in candidates if c]):
        if Path(found).resolve().with_name("initdb").exists():
            return Path(found).resolve().parent
    raise PgClusterError(
        "PostgreSQL is not installed: `make setup` installs it (scripts/setup-system.sh, as root), "
        "or `sudo apt-get install postgresql`"
    )


def as_cluster_owner(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its commands as the `postgres` user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(folder: Path, *, max_connections: int = 300) -> PgCluster:
    """initdb a new cluster in `folder` (which must not exist) and start it; waits until ready.

    As root the cluster runs as the `postgres` user, who must be able to reach `folder`: its
    parents must be searchable by others (a `tempfile.mkdtemp` folder is not until chmod 755).
    """
    folder.mkdir(parents=True)
    folder.chmod(0o755)  # root runs the cluster as `postgres`, who must reach its socket folder
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    bin_dir, data, log = binaries(), folder / "data", folder / "postgres.log"
    initdb = [str(bin_dir / "initdb"), "-D", str(data), "-U", ROLE, "-A", "trust", "-E", "UTF8"]
    done = subprocess.run(
        as_cluster_owner([*initdb, "--no-sync"]), capture_output=True, text=True, cwd="/"
    )
    if done.returncode != 0:
        raise PgClusterError(f"initdb failed: {done.stderr.strip() or done.stdout.strip()}")
    port = free_port()
    options = [
        *("-p", str(port), "-k", str(folder), "-c", "listen_addresses=127.0.0.1"),
        *("-c", f"max_connections={max_connections}"),
        *("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"),
    ]
    with log.open("ab") as handle:
        process = subprocess.Popen(
            as_cluster_owner([str(bin_dir / "postgres"), "-D", str(data), *options]),
            stdout=handle,
            stderr=subprocess.STDOUT,
            cwd="/",
            start_new_session=True,  # its own group: stop() reaches its backends too
        )
    cluster = PgCluster(folder, port, process, log)
    _wait_until_ready(cluster, bin_dir)
    return cluster


def _wait_until_ready(cluster: PgCluster, bin_dir: Path) -> None:
    probe = [str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(cluster.port), "-q"]
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if cluster.process.poll() is not None:
            raise PgClusterError(f"PostgreSQL exited at start-up:\n{_tail(cluster.log)}")
        if subprocess.run([*probe, "-U", ROLE], check=False).returncode == 0:
            return
        time.sleep(0.2)
    cluster.stop()
    raise PgClusterError(f"PostgreSQL not ready within {START_TIMEOUT_S} s:\n{_tail(cluster.log)}")


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
