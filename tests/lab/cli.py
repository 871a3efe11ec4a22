"""`python -m tests.lab start|stop|status|env|fetch [service ...]`."""

from __future__ import annotations

import argparse
import shlex
import sys

from .api import Lab
from .core import LabError, ServiceFailed
from .services import ORDER


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lab", description="Start and stop the local test lab (see tests/lab/README.md).")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    helps = {
        "start": "start services (all when none named) and their dependencies; wait until healthy",
        "stop": "stop services the lab started (all when none named), and what depends on them",
        "status": "show what runs, where, and its log; exit 0 when every service asked about "
                  "(default: every one the lab started) is healthy, 1 when none of them runs, 3 otherwise",
        "env": "print `export LAB_...=...` lines for the running services",
        "fetch": "fill the caches (Kafka jars) without starting anything",
    }
    for name, text in helps.items():
        cmd = sub.add_parser(name, help=text, description=text)
        cmd.add_argument("services", nargs="*", metavar="SERVICE", help=f"one of: {', '.join(ORDER)}")
        if name == "status":
            cmd.add_argument("-q", "--quiet", action="store_true", help="print nothing, only set the exit code")
    return p


def print_table(rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


def run(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    names: list[str] = list(getattr(args, "services", []) or [])
    unknown = [n for n in names if n not in ORDER]
    if unknown:
        raise LabError(f"unknown service {', '.join(unknown)}; the lab has {', '.join(ORDER)}")
    lab = Lab()
    if args.command == "start":
        lab.start(names)
        rows = [["SERVICE", "ADDRESS"]]
        rows += [[n, lab.service(n).address()] for n in lab.with_dependencies(names)]
        print_table(rows)
        print(f"state: {lab.ctx.state_dir}   shell variables: eval \"$(python -m tests.lab env)\"")
    elif args.command == "stop":
        stopped = lab.stop(names)
        print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
    elif args.command == "status":
        statuses = lab.status()
        if not args.quiet:
            rows = [["SERVICE", "STATE", "PID", "ADDRESS", "LOG"]]
            rows += [[s.name, s.state, str(s.pid or "-"), s.address or "-", s.log or "-"] for s in statuses]
            print_table(rows)
        asked = [s for s in statuses if s.name in names] if names else [s for s in statuses if s.state != "stopped"]
        if not asked or all(s.state in ("stopped", "exited") for s in asked):
            return 1
        return 0 if all(s.state == "running" for s in asked) else 3
    elif args.command == "env":
        for key, value in lab.env(names).items():
            print(f"export {key}={shlex.quote(value)}")
    elif args.command == "fetch":
        lab.fetch(names)
        print(f"caches filled under {lab.ctx.cache_dir}")
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except ServiceFailed as exc:
        for path, lines in exc.tails:
            print(f"--- last lines of {path}", file=sys.stderr)
            for line in lines:
                print(f"    {line}", file=sys.stderr)
        print(f"lab: error: {exc}", file=sys.stderr)
        return 2
    except LabError as exc:
        print(f"lab: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("lab: error: interrupted", file=sys.stderr)
        return 130
