#!/usr/bin/env python3
"""Run every test suite of the collection and print a readable summary.

Suites: unit, lint (ansible-lint, production profile; ruff; mypy; antsibull-changelog), sanity (ansible-test on
the built collection), integration (pytest against the lab), molecule (every scenario found).
The lab is started when a suite needs it and stopped afterwards if this script started it.
A suite that finds no tests is reported as such and does not fail the run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
BIN = Path(PY).parent
SUITES = ("unit", "lint", "sanity", "integration", "molecule")
NEEDS_LAB = {"integration", "molecule"}
PYTEST_NO_TESTS = 5


@dataclass
class Outcome:
    suite: str
    status: str  # passed | failed | no tests
    seconds: float
    detail: str = ""


def run(cmd: list[str], cwd: Path = ROOT, env: dict[str, str] | None = None) -> int:
    print(f"\n$ {' '.join(cmd)}   (in {cwd})", flush=True)
    return subprocess.call(cmd, cwd=cwd, env={**os.environ, **(env or {})})


def suite_unit() -> tuple[int, str]:
    return run([PY, "-m", "pytest", "tests/unit", "-q"]), ""


def suite_integration() -> tuple[int, str]:
    return run([PY, "-m", "pytest", "tests/integration", "-q", "--durations=25"]), ""


def changelog_current() -> int:
    """CHANGELOG.rst is what antsibull-changelog generates from changelogs/changelog.yaml (nobody edits it by hand)."""
    with tempfile.TemporaryDirectory(prefix="changelog-") as tmp:
        fresh = Path(tmp) / "CHANGELOG.rst"
        rc = run([str(BIN / "antsibull-changelog"), "generate", "--output", str(fresh), "--output-format", "rst"])
        if rc:
            return rc
        if fresh.read_text(encoding="utf-8") != (ROOT / "CHANGELOG.rst").read_text(encoding="utf-8"):
            print("CHANGELOG.rst differs from changelogs/changelog.yaml: run antsibull-changelog generate", flush=True)
            return 1
    return 0


def suite_lint() -> tuple[int, str]:
    """ansible-lint (production profile), ruff (ruff.toml), mypy on the paths mypy.ini names, then the changelog:
    its fragments, changelogs/changelog.yaml and CHANGELOG.rst generated from it (antsibull-changelog)."""
    changelog = str(BIN / "antsibull-changelog")
    steps: dict[str, list[str] | Callable[[], int]] = {
        "ansible-lint": [str(BIN / "ansible-lint"), "--offline", "--profile", "production"],
        "ruff format": [str(BIN / "ruff"), "format", "--check", "--quiet"],
        "ruff check": [str(BIN / "ruff"), "check", "--quiet"],
        "mypy (plugins, files/producer)": [str(BIN / "mypy"), "--config-file", str(ROOT / "mypy.ini")],
        "changelog fragments": [changelog, "lint"],
        "changelog.yaml": [changelog, "lint-changelog-yaml", "--strict", "changelogs/changelog.yaml"],
        "CHANGELOG.rst up to date": changelog_current,
    }
    failed = [label for label, step in steps.items() if (step() if callable(step) else run(step))]
    detail = ", ".join(f"{label} {'failed' if label in failed else 'passed'}" for label in steps)
    return (1 if failed else 0), detail


def suite_sanity() -> tuple[int, str]:
    """ansible-test needs the collection at ansible_collections/<ns>/<name>: test what ships."""
    with tempfile.TemporaryDirectory(prefix="sanity-") as tmp:
        out = Path(tmp)
        rc = run([str(BIN / "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(out)])
        if rc:
            return rc, "collection build failed"
        dest = out / "ansible_collections" / "transactions_st" / "realtime"
        dest.mkdir(parents=True)
        with tarfile.open(next(out.glob("*.tar.gz"))) as tar:
            tar.extractall(dest, filter="data")
        return run([str(BIN / "ansible-test"), "sanity", "--venv", "--python",
                    f"{sys.version_info.major}.{sys.version_info.minor}", "--color", "no"], cwd=dest), ""


def molecule_scenarios() -> list[tuple[Path, str]]:
    found = []
    # Role scenarios run from the role's directory, collection-level ones from the repo root.
    for base in sorted(ROOT.glob("roles/*/molecule")) + [ROOT / "extensions" / "molecule"]:
        workdir = base.parent if base.parent.parent.name == "roles" else ROOT
        for cfg in sorted(base.glob("*/molecule.yml")):
            found.append((workdir, cfg.parent.name))
    return found


def suite_molecule() -> tuple[int, str]:
    scenarios = molecule_scenarios()
    if not scenarios:
        return PYTEST_NO_TESTS, "no scenario found"
    failed = []
    for workdir, name in scenarios:
        if run([str(BIN / "molecule"), "test", "-s", name], cwd=workdir):
            failed.append(f"{workdir.relative_to(ROOT) or '.'}:{name}")
    detail = f"{len(scenarios) - len(failed)}/{len(scenarios)} scenarios passed"
    if failed:
        detail += "; failed: " + ", ".join(failed)
    return (1 if failed else 0), detail


def lab(*args: str) -> int:
    return subprocess.call([PY, "-m", "tests.lab", *args], cwd=ROOT)


def lab_running() -> bool:
    return subprocess.call([PY, "-m", "tests.lab", "status", "--quiet"], cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", action="append", choices=SUITES, help="run only these suites")
    parser.add_argument("--no-lab", action="store_true", help="never start the lab")
    args = parser.parse_args()
    chosen = args.suite or list(SUITES)

    started_lab = False
    outcomes: list[Outcome] = []
    try:
        for suite in chosen:
            if suite in NEEDS_LAB and not args.no_lab and not started_lab and not lab_running():
                if lab("start"):
                    outcomes.append(Outcome(suite, "failed", 0.0, "the lab did not start"))
                    continue
                started_lab = True
            began = time.monotonic()
            rc, detail = globals()[f"suite_{suite}"]()
            status = "passed" if rc == 0 else "no tests" if rc == PYTEST_NO_TESTS else "failed"
            outcomes.append(Outcome(suite, status, time.monotonic() - began, detail))
    finally:
        if started_lab:
            lab("stop")

    width = max(len(o.suite) for o in outcomes)
    print("\n" + "=" * 60 + "\nSummary")
    for o in outcomes:
        print(f"  {o.suite:<{width}}  {o.status:<8}  {o.seconds:7.1f}s  {o.detail}")
    failed = sum(o.status == "failed" for o in outcomes)
    passed = sum(o.status == "passed" for o in outcomes)
    print(f"suites: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
