"""Launcher for the SingleStore test double (the server itself lives in tests/lab/double/)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from ..core import HOST, REPO_ROOT, LabError, ProcessService, check_port_free
from .mariadb import MariaDB


class Double(ProcessService):
    name = "double"
    depends = ("mariadb",)
    start_timeout = 60.0
    stop_grace = 10.0

    @property
    def port(self) -> int:
        return int(self.entry().get("port") or self.ctx.port("LAB_DOUBLE_PORT", 33307))

    @property
    def package_dir(self) -> Path:
        return REPO_ROOT / "tests" / "lab" / "double"

    def log_files(self) -> list[Path]:
        return [self.dir / "double.log"]

    def start(self) -> None:
        if not (self.package_dir / "__main__.py").is_file():
            raise LabError(
                f"the double service needs the server package {self.package_dir} "
                "(with __main__.py), which is not there yet; start the other services by name"
            )
        mariadb = MariaDB(self.ctx)
        if not mariadb.running():
            raise LabError("the double forwards to the lab MariaDB, which is not running; start mariadb first")
        port = self.ctx.port("LAB_DOUBLE_PORT", 33307)
        check_port_free(port, "double", "LAB_DOUBLE_PORT")
        mariadb.password()  # make sure the secrets file exists before the double reads it
        self.dir.mkdir(parents=True, exist_ok=True)
        # Same interpreter as the lab, run from the repo root so `tests.lab.double` imports.
        pythonpath = [str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(pythonpath)}
        self.launch(
            [
                sys.executable, "-m", "tests.lab.double", "--host", HOST, "--port", str(port),
                "--mariadb-host", HOST, "--mariadb-port", str(mariadb.port), "--admin-user", "root",
                "--secrets-file", str(mariadb.secrets_file), "--state-dir", str(self.dir / "state"),
                *(["--memsql-version", version] if (version := self.ctx.environ.get("LAB_DOUBLE_MEMSQL_VERSION", "").strip()) else []),
            ],
            self.dir / "double.log", env=env, port=port,
        )

    def conn_params(self) -> dict[str, Any]:
        return {**MariaDB(self.ctx).conn_params(), "port": self.port}

    def healthy(self) -> bool:
        if not self.running():
            return False
        import pymysql

        try:
            conn = pymysql.connect(**self.conn_params(), connect_timeout=3, read_timeout=5)
        except pymysql.err.MySQLError:
            return False
        try:
            with conn, conn.cursor() as cur:
                cur.execute("SELECT @@memsql_version")
                return cur.fetchone() is not None
        except pymysql.err.MySQLError:
            return False

    def address(self) -> str:
        return f"{HOST}:{self.port}"

    def env(self) -> dict[str, str]:
        return {"LAB_DOUBLE_PORT": str(self.port)}
