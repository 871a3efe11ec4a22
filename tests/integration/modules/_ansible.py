"""Run real ansible-playbook processes against the lab and read back what the modules returned."""

from __future__ import annotations

import json
import os
import re
import socket
import struct
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pymysql

REPO = Path(__file__).resolve().parents[3]
GROUP = "group/transactions_st.realtime.singlestore"
PREFIX = "transactions_st.realtime."


def login_options(conn_params: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """module_defaults for the action group from a fixture's pymysql.connect() parameters."""
    opts = {"login_host": conn_params.get("host", "127.0.0.1"), "login_port": int(conn_params.get("port", 3306)),
            "login_user": conn_params.get("user", "root"), "login_password": conn_params.get("password", "")}
    # PyMySQL's TLS settings (a live target: tests/integration/live/target.py) as the modules' own options.
    tls = conn_params.get("ssl")
    if conn_params.get("ssl_disabled"):
        opts["ssl_mode"] = "disabled"
    elif isinstance(tls, dict) and tls:
        if tls.get("ca"):
            opts.update(ssl_mode="verify_identity" if tls.get("check_hostname", True) else "verify_ca", ca_cert=tls["ca"])
        else:
            opts["ssl_mode"] = "required"
    opts.update(extra)
    return opts


def ansible_env() -> dict[str, str]:
    env = dict(os.environ)
    cfg = REPO / "ansible.cfg"
    if cfg.is_file():
        env["ANSIBLE_CONFIG"] = str(cfg)
    else:
        env["ANSIBLE_COLLECTIONS_PATH"] = str(REPO / "collections")
    env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_RETRY_FILES_ENABLED="0",
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    return env


@dataclass
class Run:
    rc: int
    output: str
    results: list[dict[str, Any]]


def step(module: str, args: dict[str, Any], check: bool = False, diff: bool = True) -> dict[str, Any]:
    """One task of a scenario: a module call, optionally in check mode."""
    return {"module": module, "args": args, "check": check, "diff": diff}


def run_steps(tmp_path: Path, login: dict[str, Any], steps: list[dict[str, Any]], verbosity: int = 0,
              module_defaults: bool = True, group: str = GROUP) -> Run:
    """Write a playbook with one task per step (errors ignored), run it, return each task's registered result.

    ``login`` goes to ``module_defaults`` of the action ``group`` (the singlestore one unless given)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    out_file = tmp_path / f"results-{os.getpid()}-{len(list(tmp_path.iterdir()))}.json"
    tasks = []
    for i, st in enumerate(steps):
        args = dict(st["args"]) if module_defaults else dict(login, **st["args"])
        tasks.append({"name": f"step {i}", PREFIX + st["module"]: args, "register": f"step_{i}",
                      "check_mode": st["check"], "diff": st["diff"], "ignore_errors": True})
    names = ", ".join(f"step_{i}" for i in range(len(steps)))
    save = {"content": "{{ [" + names + "] | to_json }}", "dest": str(out_file), "mode": "0600"}
    tasks.append({"name": "save results", "ansible.builtin.copy": save, "check_mode": False, "diff": False})
    play: dict[str, Any] = {"hosts": "localhost", "gather_facts": False, "tasks": tasks}
    if module_defaults:
        play["module_defaults"] = {group: login}
    playbook = tmp_path / f"play-{len(list(tmp_path.iterdir()))}.yml"
    playbook.write_text(json.dumps([play], indent=1))
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
           "-e", f"ansible_python_interpreter={sys.executable}", str(playbook)]
    if verbosity:
        cmd.append("-" + "v" * verbosity)
    proc = subprocess.run(cmd, cwd=tmp_path, env=ansible_env(), capture_output=True, text=True, timeout=300)
    output = proc.stdout + proc.stderr
    assert out_file.is_file(), f"ansible-playbook wrote no results (rc={proc.returncode}):\n{output[-4000:]}"
    return Run(proc.returncode, output, json.loads(out_file.read_text()))


def transition(tmp_path: Path, login: dict[str, Any], module: str, args: dict[str, Any],
               catalog: Any = None) -> list[dict[str, Any]]:
    """check, real, check, real -> changed, changed, unchanged, unchanged; catalog unchanged by the first check."""
    before = catalog() if catalog else None
    first = run_steps(tmp_path, login, [step(module, args, check=True)]).results[0]
    assert not first.get("failed"), first
    assert first["changed"] is True, first
    if catalog:
        assert catalog() == before, "check mode changed the catalog"
    rest = run_steps(tmp_path, login, [step(module, args), step(module, args, check=True), step(module, args)]).results
    for res in rest:
        assert not res.get("failed"), res
    assert [r["changed"] for r in [first] + rest] == [True, True, False, False], [r.get("queries") for r in [first] + rest]
    stamp = re.compile(r"__backup_\d{14}")
    planned = [stamp.sub("__backup_<ts>", q) for q in first["queries"]]
    assert planned == [stamp.sub("__backup_<ts>", q) for q in rest[0]["queries"]], "check mode planned other statements than the real run"
    assert rest[1]["queries"] == [] and rest[2]["queries"] == []
    return [first] + rest


def assert_clean_failure(result: dict[str, Any], *fragments: str) -> None:
    assert result.get("failed") is True, result
    msg = result.get("msg", "")
    assert "Traceback" not in json.dumps(result), result
    assert "(traceback unavailable)" == result.get("exception", "(traceback unavailable)"), result.get("exception")
    for fragment in fragments:
        assert fragment.lower() in msg.lower(), f"{fragment!r} not in {msg!r}"


# -- catalog reads (straight PyMySQL, independent of the modules) ------------------------------

def connect(conn_params: dict[str, Any], **kw: Any) -> Any:
    return pymysql.connect(**conn_params, autocommit=True, **kw)


def query(conn_params: dict[str, Any], sql: str, args: Any = None, database: str | None = None) -> list[tuple[Any, ...]]:
    conn = connect(conn_params, **({"database": database} if database else {}))
    try:
        with conn.cursor() as cur:
            cur.execute(sql, args)
            return list(cur.fetchall())
    finally:
        conn.close()


def snapshot(conn_params: dict[str, Any]) -> dict[str, Any]:
    """Databases, tables with columns, users: enough to say 'nothing changed'."""
    skip = ("information_schema", "mysql", "performance_schema", "sys", "memsql", "cluster")
    dbs = sorted(r[0] for r in query(conn_params, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA") if r[0] not in skip)
    cols = sorted(query(conn_params, "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS "
                                     "WHERE TABLE_SCHEMA NOT IN ('information_schema','mysql','performance_schema','sys')"))
    users = sorted(query(conn_params, "SELECT GRANTEE, PRIVILEGE_TYPE FROM information_schema.USER_PRIVILEGES"))
    return {"databases": dbs, "columns": cols, "users": users}


# -- a MySQL-protocol server that does not offer TLS ----------------------------------------------

class NoTlsServer:
    """Sends a MySQL handshake without the SSL capability, then closes: enough for 'TLS required' tests."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            caps = 0xF7FF & ~0x0800  # everything usual, but not CLIENT_SSL
            body = (b"\x0a" + b"5.7.32-notls\x00" + struct.pack("<I", 7) + b"abcdefgh\x00" + struct.pack("<H", caps & 0xFFFF)
                    + b"\x21" + struct.pack("<H", 2) + struct.pack("<H", (0x000A8200 >> 16)) + b"\x15" + b"\x00" * 10
                    + b"ijklmnopqrst\x00" + b"mysql_native_password\x00")
            try:
                client.sendall(struct.pack("<I", len(body))[:3] + b"\x00" + body)
                client.recv(1024)
            except OSError:
                pass
            finally:
                client.close()

    def close(self) -> None:
        self.sock.close()
