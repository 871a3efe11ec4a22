"""How much an unchanged singlestore_database task costs next to community.mysql.mysql_db.

Both modules check the same existing database on the same lab MariaDB, N times each in one
ansible-playbook run (a loop); the run of an empty loop is the baseline subtracted from both, so
the ratio compares the modules, not ansible-playbook's start-up. Median of several runs.
Target (issue 3): ratio <= 1.2. Printed, never asserted.

    python -m tests.bench.module_overhead [--iterations 40] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pymysql

from tests.bench._common import machine, print_table
from tests.integration.modules._ansible import ansible_env
from tests.lab.api import Lab

DATABASE = "bench_module_overhead"


def playbook(module: str, args: dict, iterations: int) -> str:
    task = {"name": "probe", module: args, "loop": f"{{{{ range({iterations}) | list }}}}"} if module else \
        {"name": "probe", "ansible.builtin.debug": {"msg": "noop"}, "loop": f"{{{{ range({iterations}) | list }}}}"}
    play = [{"name": "bench", "hosts": "localhost", "gather_facts": False, "tasks": [task]}]
    return json.dumps(play)


def timed_run(path: Path, python: str) -> float:
    began = time.perf_counter()
    subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local", "-e", f"ansible_python_interpreter={python}",
                    str(path)], check=True, env=ansible_env(), stdout=subprocess.DEVNULL)
    return time.perf_counter() - began


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    lab = Lab()
    lab.start(["mariadb"])
    env = lab.env(["mariadb"])
    login = {"login_host": env["LAB_MARIADB_HOST"], "login_port": int(env["LAB_MARIADB_PORT"]),
             "login_user": env["LAB_MARIADB_USER"], "login_password": env["LAB_MARIADB_PASSWORD"]}
    with pymysql.connect(host=login["login_host"], port=login["login_port"], user=login["login_user"],
                         password=login["login_password"]) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE IF NOT EXISTS `{DATABASE}`")

    python = sys.executable
    cases = {
        "empty loop (baseline)": ("", {}),
        "transactions_st.realtime.singlestore_database": (
            "transactions_st.realtime.singlestore_database", {"name": DATABASE, "state": "present", **login}),
        "community.mysql.mysql_db": (
            "community.mysql.mysql_db", {"name": DATABASE, "state": "present", **login}),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for name, (module, margs) in cases.items():
            paths[name] = Path(tmp) / f"{len(paths)}.yml"
            paths[name].write_text(playbook(module, margs, args.iterations))
        timed_run(paths["community.mysql.mysql_db"], python)  # warm caches once
        for _repeat in range(args.repeats):
            for name, path in paths.items():  # interleaved, so drift in machine load hits all alike
                times[name].append(timed_run(path, python))
    base = statistics.median(times["empty loop (baseline)"])
    per_task = {n: (statistics.median(t) - base) / args.iterations for n, t in times.items() if "baseline" not in n}
    rows = [[n, f"{statistics.median(t):.2f}", f"{(statistics.median(t) - base) / args.iterations * 1000:.1f}"
             if "baseline" not in n else "-"] for n, t in times.items()]
    print(f"\nUnchanged database task, {args.iterations} iterations per run, median of {args.repeats} runs ({machine()})")
    print_table(["case", "run s (median)", "ms per task"], rows)
    ratio = per_task["transactions_st.realtime.singlestore_database"] / per_task["community.mysql.mysql_db"]
    print(f"ratio singlestore_database / mysql_db per task: {ratio:.2f} (target <= 1.2)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
