"""`make bench`: every benchmark, one after the other, against the lab (started if needed).

Each prints its own table and its ratios against a baseline measured in the same run; nothing
here asserts a time. `python -m tests.bench [name ...]` runs only the named benchmarks.
"""

from __future__ import annotations

import importlib
import sys
import traceback

from tests.lab.api import Lab

# name -> (module, services it needs, arguments given the lab's environment)
BENCHMARKS = {
    "module_overhead": ("tests.bench.module_overhead", ["mariadb"], lambda env: []),
    "producer_throughput": ("tests.bench.producer_throughput", ["kafka"],
                            lambda env: ["--bootstrap", env["LAB_KAFKA_BOOTSTRAP"]]),
    "pipeline_freshness": ("tests.bench.pipeline_freshness", ["mariadb", "double", "kafka"], lambda env: []),
    "dashboard_latency": ("tests.bench.dashboard_latency", ["mariadb", "double", "kafka"], lambda env: []),
    "site_rerun": ("tests.bench.site_rerun", ["mariadb", "double", "kafka", "docker", "stack_host"], lambda env: []),
}


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"bench: unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    lab = Lab()
    already = set(lab.running())
    failed = []
    try:
        for name in names:
            module_name, services, make_args = BENCHMARKS[name]
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError:
                print(f"\n== {name}: not written yet, skipped")
                continue
            print(f"\n== {name}", flush=True)
            lab.start(services)
            try:
                if module.main(make_args(lab.env(services))):
                    failed.append(name)
            except Exception:  # noqa: BLE001 - one broken benchmark must not hide the others' numbers
                traceback.print_exc()
                failed.append(name)
    finally:
        started = [s for s in lab.running() if s not in already]
        if started:
            lab.stop(started)
    if failed:
        print(f"\nbench: failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
