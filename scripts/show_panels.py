#!/usr/bin/env python3
"""Print what the dashboard's panels would show: each panel's query (templates/sql/queries), with
Grafana's macros expanded the way its MySQL plugin does, run against the lab's SingleStore endpoint.

Used by `make demo` on the offline lab, where no Grafana can run.
    python scripts/show_panels.py [--profile seed|optimized|rollup] [--database demo_retails]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pymysql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.bench._common import print_table  # noqa: E402
from tests.lab.api import Lab  # noqa: E402
from tests.unit.grafana.grafana_sql import expand  # noqa: E402

QUERIES = ROOT / "templates" / "sql" / "queries"


def panel_files(profile: str) -> list[Path]:
    files = {p.name: p for p in sorted(QUERIES.glob("*.sql"))}
    if profile == "rollup":  # the rollup profile answers some panels from the small table
        files.update({p.name: p for p in sorted((QUERIES / "rollup").glob("*.sql"))})
    return [files[name] for name in sorted(files)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="optimized")
    parser.add_argument("--database", default="demo_retails")
    args = parser.parse_args()
    env = Lab().env(["mariadb", "double"])
    if "LAB_DOUBLE_PORT" not in env:
        print("show_panels: the lab's SingleStore double is not running (make lab)", file=sys.stderr)
        return 2
    conn = pymysql.connect(host="127.0.0.1", port=int(env["LAB_DOUBLE_PORT"]), user="root",
                           password=env["LAB_MARIADB_PASSWORD"], database=args.database, autocommit=True)
    now = time.time()
    failed = 0
    print(f"\nWhat the dashboard's panels show now (profile {args.profile}, time range: last 5 minutes):")
    with conn.cursor() as cur:
        for path in panel_files(args.profile):
            sql = expand(path.read_text(), now - 300, now)
            began = time.perf_counter()
            try:
                cur.execute(sql)
            except pymysql.MySQLError as exc:
                print(f"\n-- {path.relative_to(ROOT)}: error {exc.args[0]}: {exc.args[-1]}")
                failed += 1
                continue
            rows = cur.fetchall()
            ms = (time.perf_counter() - began) * 1000
            print(f"\n-- {path.relative_to(ROOT)} ({ms:.0f} ms)")
            print_table([d[0] for d in cur.description], [[("" if v is None else v) for v in r] for r in rows[:10]])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
