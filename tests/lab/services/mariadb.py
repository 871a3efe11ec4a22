"""MariaDB from Debian with its data dir in the state dir, TLS from the lab CA, a generated root password,
and the time zone tables loaded, so named zones work as on SingleStore."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Any

from ..core import (
    HOST, LabError, ProcessService, check_port_free, read_secrets, require_tool, run_checked, write_secrets,
)
from ..tls import ensure_tls

INSTALL_HINT = "apt-get install mariadb-server"
# The system's IANA time zone files (Debian's tzdata), which mariadb-tzinfo-to-sql turns into SQL.
ZONEINFO = Path("/usr/share/zoneinfo")
TZDATA_HINT = "apt-get install tzdata"
SECRET_KEY = "mariadb_root_password"
# Unix sockets paths are limited to 108 bytes by the kernel (sun_path).
MAX_SOCKET_PATH = 107


class MariaDB(ProcessService):
    name = "mariadb"
    start_timeout = 60.0
    stop_grace = 30.0

    @property
    def port(self) -> int:
        return int(self.entry().get("port") or self.ctx.port("LAB_MARIADB_PORT", 33306))

    @property
    def socket_path(self) -> Path:
        return self.dir / "mysqld.sock"

    @property
    def secrets_file(self) -> Path:
        return self.ctx.state_dir / "secrets.json"

    @property
    def ca_cert(self) -> Path:
        return self.ctx.state_dir / "tls" / "ca.pem"

    def password(self) -> str:
        """The root password, created (and stored 0600) the first time it is asked for."""
        stored = read_secrets(self.secrets_file)
        if not stored.get(SECRET_KEY):
            stored[SECRET_KEY] = secrets.token_urlsafe(24)
            write_secrets(self.secrets_file, stored)
        return stored[SECRET_KEY]

    def log_files(self) -> list[Path]:
        return [self.dir / "mariadb.log", self.dir / "mariadb.out"]

    def start(self) -> None:
        mariadbd = require_tool("mariadbd", INSTALL_HINT)
        install_db = require_tool("mariadb-install-db", INSTALL_HINT)
        port = self.ctx.port("LAB_MARIADB_PORT", 33306)
        if len(str(self.socket_path)) > MAX_SOCKET_PATH:
            raise LabError(f"socket path {self.socket_path} is too long for a Unix socket; use a shorter LAB_STATE_DIR")
        check_port_free(port, "mariadb", "LAB_MARIADB_PORT")
        tls = ensure_tls(self.ctx.state_dir, self.ctx.log)
        password = self.password()
        self.dir.mkdir(parents=True, exist_ok=True)
        data = self._ensure_datadir(install_db)
        self.socket_path.unlink(missing_ok=True)  # a stale socket from a killed server blocks the new one
        self.launch(
            [
                mariadbd, "--no-defaults", "--user=root", f"--datadir={data}",
                f"--socket={self.socket_path}", f"--port={port}", f"--bind-address={HOST}",
                f"--pid-file={self.dir / 'mariadbd.pid'}", f"--log-error={self.dir / 'mariadb.log'}",
                "--skip-name-resolve", "--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci",
                f"--ssl-ca={tls / 'ca.pem'}", f"--ssl-cert={tls / 'server.pem'}", f"--ssl-key={tls / 'server.key'}",
            ],
            self.dir / "mariadb.out", port=port,
        )
        self.wait_for(self._socket_accepts, "accept connections on its socket", self.start_timeout)
        self._secure_root(password)
        self._ensure_time_zones(password)

    def _ensure_datadir(self, install_db: str) -> Path:
        """Initialise under a temporary name and rename, so a half-done install is never used."""
        data, tmp = self.dir / "data", self.dir / "data.tmp"
        if data.is_dir():
            return data
        shutil.rmtree(tmp, ignore_errors=True)
        self.ctx.log(f"initialising the MariaDB data dir {data}")
        run_checked(
            [install_db, "--no-defaults", f"--datadir={tmp}", "--auth-root-authentication-method=normal",
             "--user=root", "--skip-test-db", "--skip-name-resolve"],
            "mariadb-install-db", log_path=self.dir / "mariadb.out",
        )
        os.rename(tmp, data)
        return data

    def _connect_socket(self, password: str | None, **extra: Any) -> Any:
        import pymysql

        return pymysql.connect(
            unix_socket=str(self.socket_path), user="root", password=password or "", connect_timeout=3, **extra
        )

    def _socket_accepts(self) -> bool:
        import pymysql

        try:
            self._connect_socket(None).close()
        except pymysql.err.OperationalError as exc:
            return bool(exc.args[0] == 1045)  # access denied: the server is up, the password is already set
        return True

    def _secure_root(self, password: str) -> None:
        """Give root@localhost and root@127.0.0.1 the generated password; drop other passwordless accounts.

        Runs on every start (cheap, idempotent), so a data dir that outlived its secrets file is fixed up.
        The password travels only inside the SQL protocol, never on a command line.
        """
        import pymysql

        try:
            conn = self._connect_socket(password)
        except pymysql.err.OperationalError:
            try:
                conn = self._connect_socket(None)
            except pymysql.err.MySQLError as exc:
                self.stop()
                raise LabError(
                    f"cannot log in as root on {self.socket_path} ({exc.args[-1]}): the data dir's root password "
                    f"is not the one in {self.secrets_file}; remove {self.dir / 'data'} to start afresh"
                ) from None
        with conn, conn.cursor() as cur:
            cur.execute(
                "SELECT user, host FROM mysql.user"
                " WHERE user = '' OR (user = 'root' AND host NOT IN ('localhost', '127.0.0.1'))"
            )
            for user, host in cur.fetchall():
                cur.execute("DROP USER %s@%s", (user, host))
            cur.execute("CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY %s", (password,))
            cur.execute("GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION")
            for host in ("localhost", "127.0.0.1"):
                cur.execute("ALTER USER 'root'@%s IDENTIFIED BY %s", (host, password))
            cur.execute("FLUSH PRIVILEGES")

    def time_zones_loaded(self, password: str) -> bool:
        """Whether the server knows named time zones (``mysql.time_zone_name`` has rows)."""
        with self._connect_socket(password) as conn, conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM mysql.time_zone_name")
            row = cur.fetchone()
            return bool(row and row[0] > 0)

    def _ensure_time_zones(self, password: str) -> None:
        """Load the time zone tables when they are empty, so ``CONVERT_TZ(..., 'UTC', 'Europe/Paris')`` works.

        SingleStore knows IANA zone names by itself (docs v9.1, CONVERT_TZ:
        https://docs.singlestore.com/db/v9.1/reference/sql-reference/date-and-time-functions/convert-tz/);
        MariaDB only once ``mysql.time_zone*`` are filled, and returns NULL for a named zone until then.
        ``mariadb-install-db`` leaves them empty. Checked at every start (one COUNT), so a data dir made
        before this existed gets them at its next start. The SQL of ``mariadb-tzinfo-to-sql`` goes to the
        server over its socket inside the SQL protocol, like the password: nothing secret on a command line.
        """
        if self.time_zones_loaded(password):
            return
        tzinfo = require_tool("mariadb-tzinfo-to-sql", "apt-get install mariadb-client")
        if not (ZONEINFO / "Europe" / "Paris").is_file():
            self.stop()
            raise LabError(f"no time zone files in {ZONEINFO} (MariaDB needs them for named zones); {TZDATA_HINT}")
        self.ctx.log(f"loading the time zone tables from {ZONEINFO}")
        try:
            done = subprocess.run([tzinfo, str(ZONEINFO)], capture_output=True, check=False, timeout=300)
        except (OSError, subprocess.SubprocessError) as exc:
            self.stop()
            raise LabError(f"mariadb-tzinfo-to-sql failed: {exc}") from None
        # Its stderr lists the files it skips (leap-seconds.list, zone1970.tab, ...): keep it in the log.
        with open(self.dir / "mariadb.out", "ab") as log:
            log.write(b"\n--- lab: mariadb-tzinfo-to-sql " + str(ZONEINFO).encode() + b"\n" + done.stderr)
        if done.returncode != 0 or not done.stdout:
            self.stop()
            raise LabError(f"mariadb-tzinfo-to-sql {ZONEINFO} failed with exit code {done.returncode}; "
                           f"see {self.dir / 'mariadb.out'}")
        self._run_script(password, done.stdout.decode())
        if not self.time_zones_loaded(password):
            self.stop()
            raise LabError("the time zone tables are still empty after loading them; see "
                           f"{self.dir / 'mariadb.log'}")

    def _run_script(self, password: str, sql: str) -> None:
        """Run a multi-statement SQL script in the ``mysql`` schema, as ``mariadb mysql < script`` would."""
        import pymysql
        from pymysql.constants import CLIENT

        # The script names the tables without a schema and reads DATABASE(): run it in `mysql`.
        with self._connect_socket(password, database="mysql", client_flag=CLIENT.MULTI_STATEMENTS,
                                  read_timeout=300, write_timeout=300) as conn, conn.cursor() as cur:
            try:
                cur.execute(sql)
                while cur.nextset():
                    pass
            except pymysql.err.MySQLError as exc:
                self.stop()
                raise LabError(f"loading the time zone tables failed: {exc.args[-1]}") from None

    def conn_params(self) -> dict[str, Any]:
        return {"host": HOST, "port": self.port, "user": "root", "password": self.password()}

    def healthy(self) -> bool:
        if not self.running():
            return False
        import pymysql

        try:
            conn = pymysql.connect(**self.conn_params(), connect_timeout=3, read_timeout=5)
        except pymysql.err.MySQLError:
            return False
        with conn, conn.cursor() as cur:
            cur.execute("SELECT 1")
            return bool(cur.fetchone() == (1,))

    def address(self) -> str:
        return f"{HOST}:{self.port} (socket {self.socket_path})"

    def env(self) -> dict[str, str]:
        return {
            "LAB_MARIADB_HOST": HOST,
            "LAB_MARIADB_PORT": str(self.port),
            "LAB_MARIADB_SOCKET": str(self.socket_path),
            "LAB_MARIADB_USER": "root",
            "LAB_MARIADB_PASSWORD": self.password(),
            "LAB_CA_CERT": str(self.ca_cert),
        }
