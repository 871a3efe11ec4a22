"""What ships is what users run: build the collection and check the tarball's file list.

``ansible-galaxy collection build`` (galaxy.yml's ``build_ignore``) into a temporary directory, then:
every file is under an allowed path, none matches the deny-list of development tools, and what the
roles and playbooks need is there. A new file outside the allowed paths, or a dev tool inside one,
fails here until someone decides: allow it below, or add it to ``build_ignore`` in galaxy.yml.
"""

from __future__ import annotations

import fnmatch
import subprocess
import sys
import tarfile
from collections.abc import Iterable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
ANSIBLE_GALAXY = Path(sys.executable).parent / "ansible-galaxy"

# Paths that may ship (a file, or a directory ending in "/" and everything under it).
ALLOWED = (
    "MANIFEST.json",
    "FILES.json",
    "README.md",
    "LICENSE",
    "CHANGELOG.rst",
    "changelogs/changelog.yaml",
    "changelogs/config.yaml",
    "meta/runtime.yml",
    "docs/",
    "playbooks/",
    "plugins/modules/",
    "plugins/module_utils/",
    "plugins/doc_fragments/",
    "roles/",
    "files/producer/",
    "files/grafana/dashboards/",
    "templates/sql/tables/",
    "templates/sql/rollup/",
    # The unit tests ansible-test sanity checks with the plugins (tests/unit/plugins mirrors plugins/).
    "tests/unit/plugins/",
)

# Development and test tools, some inside allowed paths: none of them may ship.
DENIED = (
    "files/producer/seed_producer.py",  # the seed's loop, the producer benchmark's baseline
    "files/grafana/build_dashboard.py",  # writes files/grafana/dashboards/*.json
    "files/grafana/gf_settings.py",  # writes roles/grafana/files/gf_settings.txt
    "templates/sql/queries/*",  # the panels' SQL, built into the dashboards' JSON
    "roles/*/molecule/*",
    "changelogs/fragments/*",
    "changelogs/.plugin-cache.yaml",
    "tests/unit/packaging/*",
    "*/__pycache__/*",
    "*.pyc",
    "mypy.ini",
    "ruff.toml",
    "pytest.ini",
    "Makefile",
    "ansible.cfg",
    ".*",
    "*/.*",
    "requirements.yml",
    "requirements/*",
    "scripts/*",
    "collections/*",
    "site.yml",
    "inventories/*",
    "extensions/*",
)

# What the roles and playbooks read from the collection: it must ship.
REQUIRED = (
    "meta/runtime.yml",
    "files/producer/tx_producer.py",
    "files/producer/requirements.txt",
    "files/grafana/dashboards/retail-realtime.json",
    "templates/sql/tables/product_transactions.sql",
    "templates/sql/rollup/backfill_store_sales_per_second.sql",
)


def allowed(path: str) -> bool:
    # Directory entries such as "files/" are allowed when an allowed path lies under them.
    return any(path == a or path.startswith(a) or (path.endswith("/") and a.startswith(path)) for a in ALLOWED)


def unexpected(paths: Iterable[str]) -> list[str]:
    return [p for p in paths if not allowed(p)]


def denied(paths: Iterable[str]) -> list[str]:
    return [p for p in paths if any(fnmatch.fnmatchcase(p, d) for d in DENIED)]


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    out = tmp_path_factory.mktemp("build")
    subprocess.run(
        [str(ANSIBLE_GALAXY), "collection", "build", "--force", "--output-path", str(out), str(REPO)],
        check=True,
        capture_output=True,
        text=True,
    )
    (tarball,) = out.glob("transactions_st-realtime-*.tar.gz")
    with tarfile.open(tarball) as tar:
        return sorted(m.name + ("/" if m.isdir() else "") for m in tar.getmembers())


def test_only_allowed_paths_ship(shipped: list[str]) -> None:
    assert unexpected(shipped) == [], "allow it in this test or add it to galaxy.yml build_ignore"


def test_no_development_tool_ships(shipped: list[str]) -> None:
    assert denied(shipped) == [], "add it to galaxy.yml build_ignore"


def test_what_users_run_ships(shipped: list[str]) -> None:
    expected = list(REQUIRED)
    expected += [f"plugins/modules/{p.name}" for p in sorted((REPO / "plugins" / "modules").glob("*.py"))]
    expected += [f"roles/{p.parent.parent.name}/tasks/main.yml" for p in sorted(REPO.glob("roles/*/tasks/main.yml"))]
    expected += [f"playbooks/{p.name}" for p in sorted((REPO / "playbooks").glob("*.yml"))]
    assert [p for p in expected if p not in shipped] == []


# The checks themselves must be able to fail.
def test_a_new_top_level_file_is_unexpected() -> None:
    assert unexpected(["plugins/", "plugins/modules/kafka_topic.py", "noxfile.py", "plugins/filter/x.py"]) == [
        "noxfile.py",
        "plugins/filter/x.py",
    ]


def test_a_dev_tool_in_an_allowed_path_is_denied() -> None:
    paths = ["files/producer/tx_producer.py", "files/producer/seed_producer.py", "roles/kafka/molecule/default/x.yml"]
    assert denied(paths) == ["files/producer/seed_producer.py", "roles/kafka/molecule/default/x.yml"]
    assert denied(["roles/kafka/.ansible-lint", "templates/sql/queries/"]) == [
        "roles/kafka/.ansible-lint",
        "templates/sql/queries/",
    ]
