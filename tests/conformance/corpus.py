"""Load the conformance corpus: one YAML file per case under tests/conformance/<server>/<kind>/.

A case is what a real server printed (SHOW CREATE ..., SHOW GRANTS, catalog rows, an error), with
the public page or published file it was taken from. Readers of plugins/module_utils are
unit-tested on every case of their kind, and the lab's test double is checked against the same
cases, so a fact read wrongly from the documentation cannot pass on both sides at once.

The format is described in tests/conformance/singlestore/README.md; ``validate()`` enforces it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent

KINDS = ("show_create_pipeline", "show_create_table", "show_grants", "catalog_rows", "error", "variables")
# A SingleStore documentation page names its version in its path: /db/v<major>.<minor>/ or /cloud/ (Helios).
_DOCS_URL = re.compile(r"^https://docs\.singlestore\.com/(?:db/v(?P<version>\d+(?:\.\d+)?)|(?P<cloud>cloud))/\S+$")
_REPOSITORY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")


class CorpusError(ValueError):
    """A case that does not follow the corpus format; the message names the file."""


@dataclass(frozen=True)
class Case:
    name: str                       # <server>/<kind>/<file stem>
    path: Path
    kind: str
    title: str
    source: dict[str, Any]
    output: Any                     # text (SHOW CREATE ...), list of lines (SHOW GRANTS), rows, or an error
    statement: str | None = None    # what was run, when the source shows it
    server_version: str | None = None
    constructed: str | None = None  # set when the output is assembled from documented rules, not printed: why
    expect: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def citation(self) -> str:
        """One line naming the source, for messages and docs."""
        src = self.source
        if "url" in src:
            return f"{src['url']} ({src['version']})"
        return f"{src['repository']}:{src['path']}" + (f"@{src['commit'][:12]}" if src.get("commit") else "")


def _check_source(where: str, source: Any) -> dict[str, Any]:
    if not isinstance(source, dict):
        raise CorpusError(f"{where}: 'source' must be a mapping")
    if "url" in source:
        match = _DOCS_URL.match(str(source["url"]))
        if not match:
            raise CorpusError(f"{where}: source.url must be a docs.singlestore.com page under /db/vX.Y/ or /cloud/, "
                              f"got {source['url']!r}")
        version = str(source.get("version", ""))
        expected = match.group("version") or "cloud"
        if version != expected:
            raise CorpusError(f"{where}: source.version must be {expected!r} (the version in the URL), got {version!r}")
    elif "repository" in source:
        if not _REPOSITORY.match(str(source["repository"])) or not source.get("path"):
            raise CorpusError(f"{where}: a published output needs source.repository (owner/name) and source.path")
    else:
        raise CorpusError(f"{where}: source needs either url + version (a docs page) or repository + path (a published file)")
    if not str(source.get("section", "")).strip():
        raise CorpusError(f"{where}: source.section must say where on the page or in the file the output stands")
    return dict(source)


def load_case(path: Path) -> Case:
    where = str(path.relative_to(ROOT))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CorpusError(f"{where}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise CorpusError(f"{where}: a case is a mapping")
    kind = data.get("kind")
    if kind not in KINDS:
        raise CorpusError(f"{where}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if path.parent.name != kind:
        raise CorpusError(f"{where}: a {kind} case belongs in a folder named {kind}/")
    for key in ("title", "output"):
        if data.get(key) in (None, ""):
            raise CorpusError(f"{where}: {key!r} is required")
    known = {"kind", "title", "source", "output", "statement", "server_version", "constructed", "expect"}
    return Case(
        name=f"{path.parent.parent.name}/{kind}/{path.stem}", path=path, kind=kind, title=str(data["title"]),
        source=_check_source(where, data.get("source")), output=data["output"], statement=data.get("statement"),
        server_version=str(data["server_version"]) if data.get("server_version") is not None else None,
        constructed=data.get("constructed"), expect=dict(data.get("expect") or {}),
        extra={k: v for k, v in data.items() if k not in known},
    )


def load(server: str = "singlestore", kind: str | None = None) -> list[Case]:
    """Every case of ``server`` (optionally of one kind), sorted by name."""
    base = ROOT / server
    folders = [base / kind] if kind else sorted(p for p in base.iterdir() if p.is_dir())
    cases = [load_case(p) for folder in folders if folder.is_dir() for p in sorted(folder.glob("*.yml"))]
    return sorted(cases, key=lambda c: c.name)


def ids(cases: list[Case]) -> list[str]:
    """pytest ids: the case names without the server prefix."""
    return [c.name.split("/", 1)[1] for c in cases]
