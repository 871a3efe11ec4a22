"""What an unchanged re-run of site.yml costs next to the first run, on the lab inventory (issue 14).

    python -m tests.bench.site_rerun [--reruns 2] [--profile]

The lab is made fresh first, as tests/integration/test_site_lab.py does (the walkthrough's database
and topics dropped, a new stack-host container), then `ansible-playbook site.yml -i inventories/lab`
runs once (the first run: packages, virtualenv, objects, the producer started) and --reruns more
times with nothing to change. Prints the wall time of each run, the controller's CPU time for it
(user + system of ansible-playbook and the module processes it starts; less sensitive than the wall
time to other work on a shared machine, but blind to what runs inside the stack-host container and
the lab's services), the 1-minute load average when the run ended, the tasks changed per host, and
the ratio re-run / first run (the median re-run, wall time; the CPU ratio beside it); the target of
issue 14 is 0.4 or less. Nothing is asserted on time; a run that fails, or a re-run that changes
something, fails the benchmark, since its numbers would not measure an unchanged re-run.

--profile adds ansible.posix.profile_tasks to the runs and prints the slowest tasks of the last
re-run: where an unchanged run still spends its time.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time

from tests.bench._common import machine, print_table
from tests.conftest import LabHandle
from tests.integration.test_site_lab import reset, run_site
from tests.lab.api import Lab

SERVICES = ["mariadb", "double", "kafka", "docker", "stack_host"]
TARGET = 0.4


class Run:
    """One ansible-playbook run of site.yml: wall and controller CPU seconds, load after, its result."""

    def __init__(self, env: dict[str, str]) -> None:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        self.rc, self.out, self.recap = run_site(env)
        self.seconds = time.perf_counter() - began
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        self.load = os.getloadavg()[0]

    def row(self, name: str) -> list[str]:
        return [name, f"{self.seconds:.1f}", f"{self.cpu:.1f}", f"{self.load:.1f}", changed(self.recap)]


def changed(recap: dict[str, dict[str, int]]) -> str:
    return ", ".join(f"{host} {counts.get('changed', 0)}" for host, counts in sorted(recap.items()) if counts.get("ok"))


def slowest_tasks(out: str, count: int = 12) -> list[str]:
    """The first lines of profile_tasks' recap (it sorts them, slowest first)."""
    lines = out.split("TASKS RECAP", 1)[-1].splitlines()
    tasks = [line for line in lines if line.rstrip().endswith("s") and " --" in line]
    return tasks[:count]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reruns", type=int, default=2, help="unchanged re-runs after the first run (default 2)")
    parser.add_argument("--profile", action="store_true", help="print the slowest tasks of the last re-run")
    args = parser.parse_args(argv)

    lab = Lab()
    lab.start(SERVICES)
    handle = LabHandle(lab)
    reset(handle, handle.double_conn_params)
    env = lab.env(SERVICES)
    if args.profile:
        env.update(ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks", PROFILE_TASKS_TASK_OUTPUT_LIMIT="40")

    print(f"machine: {machine()}", flush=True)
    headers = ["run", "seconds", "cpu s", "load", "tasks changed"]
    first = Run(env)
    rows = [first.row("first run")]
    if first.rc != 0:
        print(first.out[-3000:], file=sys.stderr)
        print(f"site_rerun: the first run failed (rc {first.rc})", file=sys.stderr)
        return 1
    reruns = []
    for number in range(1, args.reruns + 1):
        rerun = Run(env)
        reruns.append(rerun)
        rows.append(rerun.row(f"re-run {number}"))
        if rerun.rc != 0 or any(counts.get("changed") for counts in rerun.recap.values()):
            print_table(headers, rows)
            print(rerun.out[-3000:], file=sys.stderr)
            print(f"site_rerun: re-run {number} failed or changed something (rc {rerun.rc}); no ratio", file=sys.stderr)
            return 1
    print_table(headers, rows)
    if not reruns:
        return 0
    ratio = statistics.median(r.seconds for r in reruns) / first.seconds
    cpu_ratio = statistics.median(r.cpu for r in reruns) / first.cpu
    verdict = "met" if ratio <= TARGET else "not met"
    print(
        f"\nre-run / first run: {ratio:.2f} (median of {len(reruns)} re-run(s); target <= {TARGET}: {verdict});"
        f" controller CPU: {cpu_ratio:.2f}"
    )
    if args.profile:
        print("\nslowest tasks of the last re-run:")
        for line in slowest_tasks(reruns[-1].out):
            print(f"  {line.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
