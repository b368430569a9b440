"""A throwaway PostgreSQL cluster (initdb in a temporary folder, a unix socket, trust auth)
that a test may stop and start at will – never the cluster the rest of the suite uses.

As root the server runs as the ``postgres`` user (``runuser``), as .ci/run does.  Under
CI=true a missing PostgreSQL is a failure, elsewhere the test is skipped.
"""

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def pg_bin() -> Path | None:
    candidates = [os.environ.get("PG_BIN", ""), "/usr/lib/postgresql/15/bin"]
    if shutil.which("pg_config"):
        candidates.append(subprocess.run(["pg_config", "--bindir"], capture_output=True,
                                         text=True).stdout.strip())
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    return None


def require_pg_bin() -> Path:
    found = pg_bin()
    if found is None:
        message = "PostgreSQL server binaries (initdb, pg_ctl) not found; set PG_BIN"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


class Cluster:
    def __init__(self, bin_dir: Path, folder: Path) -> None:
        self.bin_dir = bin_dir
        self.folder = folder
        self.data = folder / "data"

    def _as_postgres(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.folder}"

    def initdb(self) -> None:
        self._as_postgres(str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", "postgres",
                          "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8")

    def start(self) -> None:
        self._as_postgres(
            str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-l",
            str(self.folder / "server.log"), "-w", "-o",
            f"-k {self.folder} -c listen_addresses='' -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
            "start")

    def stop(self, mode: str = "fast") -> None:
        self._as_postgres(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", mode,
                          "-w", "stop")

    def createdb(self, name: str) -> None:
        self._as_postgres(str(self.bin_dir / "createdb"), "-h", str(self.folder), "-U",
                          "postgres", name)


@contextmanager
def throwaway_cluster(bin_dir: Path) -> Iterator[Cluster]:
    folder = Path(tempfile.mkdtemp(prefix="talkuu-pg-"))
    folder.chmod(0o755)
    if os.getuid() == 0:
        shutil.chown(folder, user="postgres")
    cluster = Cluster(bin_dir, folder)
    try:
        cluster.initdb()
        cluster.start()
        yield cluster
    finally:
        try:
            cluster.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(folder, ignore_errors=True)
