"""Every module is in the action group its connection options belong to, and says so in its documentation.

Pure Python: meta/runtime.yml and each module's DOCUMENTATION are read as text (ast + YAML), the
collection's own doc fragments merged the way ansible-core merges them (``merge_fragment`` in
``ansible/utils/plugin_docs.py``: for ``attributes``, the module's keys win over the fragment's).

The rule: a module that extends ``transactions_st.realtime.connection.<group>`` takes that group's
connection options, so it is listed in ``action_groups.<group>`` of meta/runtime.yml (that is what
``module_defaults: group/transactions_st.realtime.<group>`` sets) and documents
``attributes.action_group.membership: [transactions_st.realtime.<group>]``. A module without
connection options (kafka_cluster_id) is in no group. A group names only modules that exist.
"""

from __future__ import annotations

import ast
import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
COLLECTION = "transactions_st.realtime"
MODULES_DIR = REPO / "plugins" / "modules"
FRAGMENTS_DIR = REPO / "plugins" / "doc_fragments"
CONNECTION_PREFIX = f"{COLLECTION}.connection."
# What every module states, each with a support level; partial support says how in `details` (community.docker).
REQUIRED_ATTRIBUTES = ("check_mode", "diff_mode", "idempotent")
SUPPORT_LEVELS = {"full", "partial", "none", "N/A"}


def string_constant(path: Path, name: str, in_class: str | None = None) -> str | None:
    """The value of the string assignment ``name`` at module level (or in class ``in_class``) of ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    body: list[ast.stmt] = tree.body
    if in_class is not None:
        classes = [node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == in_class]
        body = classes[0].body if classes else []
    for node in body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                return value.value
    return None


def fragment(slug: str) -> dict[str, Any]:
    """A fragment of this collection: ``<ns>.<name>.<file>`` (DOCUMENTATION) or ``<ns>.<name>.<file>.<var>``."""
    assert slug.startswith(f"{COLLECTION}."), f"{slug}: not a fragment of {COLLECTION}"
    parts = slug[len(COLLECTION) + 1 :].split(".")
    var = parts[1].upper() if len(parts) > 1 else "DOCUMENTATION"
    text = string_constant(FRAGMENTS_DIR / f"{parts[0]}.py", var, in_class="ModuleDocFragment")
    assert text is not None, f"{slug}: no {var} in plugins/doc_fragments/{parts[0]}.py"
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def module_doc(name: str) -> dict[str, Any]:
    """A module's DOCUMENTATION with its fragments' attributes merged in, and the fragment list kept."""
    text = string_constant(MODULES_DIR / f"{name}.py", "DOCUMENTATION")
    assert text is not None, f"plugins/modules/{name}.py: no DOCUMENTATION string"
    doc: dict[str, Any] = yaml.safe_load(text)
    attributes: dict[str, Any] = doc.get("attributes") or {}
    for slug in doc.get("extends_documentation_fragment") or []:
        for key, value in (fragment(slug).get("attributes") or {}).items():
            merged = dict(value)
            merged.update(attributes.get(key) or {})
            attributes[key] = merged
    doc["attributes"] = attributes
    return doc


def action_groups() -> dict[str, list[Any]]:
    runtime = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text(encoding="utf-8"))
    groups: dict[str, list[Any]] = runtime.get("action_groups") or {}
    return groups


def module_names() -> list[str]:
    return sorted(p.stem for p in MODULES_DIR.glob("*.py") if p.stem != "__init__")


def problems(groups: dict[str, list[Any]], docs: dict[str, dict[str, Any]]) -> list[str]:
    """What disagrees between meta/runtime.yml's action groups and the modules' documentation."""
    found = []
    for group, members in groups.items():
        for member in members:
            if not isinstance(member, str):
                found.append(f"action group {group}: {member!r} is not a module name")
            elif member not in docs:
                found.append(f"action group {group} names {member}, which is not a module of plugins/modules/")
    for name, doc in docs.items():
        fragments = doc.get("extends_documentation_fragment") or []
        expected = {slug[len(CONNECTION_PREFIX) :] for slug in fragments if slug.startswith(CONNECTION_PREFIX)}
        listed = {group for group, members in groups.items() if name in members}
        for group in sorted(expected - listed):
            found.append(f"{name} takes the {group} connection options but is missing from action group {group}")
        for group in sorted(listed - expected):
            found.append(f"{name} is in action group {group} but does not take the {group} connection options")
        documented = set((doc["attributes"].get("action_group") or {}).get("membership") or [])
        in_runtime = {f"{COLLECTION}.{group}" for group in listed}
        if documented != in_runtime:
            found.append(
                f"{name} documents action_group membership {sorted(documented)}, "
                f"meta/runtime.yml has it in {sorted(in_runtime)}"
            )
    return found


@pytest.fixture(scope="module")
def docs() -> dict[str, dict[str, Any]]:
    return {name: module_doc(name) for name in module_names()}


def test_the_modules_are_found(docs: dict[str, dict[str, Any]]) -> None:
    assert {"singlestore_database", "kafka_topic", "kafka_cluster_id"} <= set(docs)


def test_action_groups_agree_with_the_documentation(docs: dict[str, dict[str, Any]]) -> None:
    assert problems(action_groups(), docs) == []


def test_every_module_states_its_attributes(docs: dict[str, dict[str, Any]]) -> None:
    for name, doc in docs.items():
        for attribute in REQUIRED_ATTRIBUTES:
            stated = doc["attributes"].get(attribute) or {}
            assert stated.get("description"), f"{name}: {attribute} has no description (fragment attributes)"
            assert stated.get("support") in SUPPORT_LEVELS, f"{name}: {attribute} support {stated.get('support')!r}"
            if stated["support"] == "partial":
                assert stated.get("details"), f"{name}: {attribute} is partial and does not say how (details)"


# The check itself must be able to fail: each case breaks one thing in a copy of the real data.
def test_a_module_missing_from_its_group_is_reported(docs: dict[str, dict[str, Any]]) -> None:
    groups = copy.deepcopy(action_groups())
    groups["singlestore"].remove("singlestore_user")
    found = problems(groups, docs)
    assert any("singlestore_user" in p and "missing from action group singlestore" in p for p in found), found
    assert any("singlestore_user documents action_group membership" in p for p in found), found


def test_documented_membership_that_runtime_lacks_is_reported(docs: dict[str, dict[str, Any]]) -> None:
    broken = copy.deepcopy(docs)
    broken["kafka_cluster_id"]["attributes"]["action_group"] = {"membership": [f"{COLLECTION}.kafka"]}
    found = problems(action_groups(), broken)
    assert found == [
        f"kafka_cluster_id documents action_group membership ['{COLLECTION}.kafka'], meta/runtime.yml has it in []"
    ]


def test_a_group_naming_no_module_is_reported(docs: dict[str, dict[str, Any]]) -> None:
    groups = copy.deepcopy(action_groups())
    groups["kafka"].append("kafka_acl")
    assert problems(groups, docs) == ["action group kafka names kafka_acl, which is not a module of plugins/modules/"]


def test_a_module_in_a_group_without_its_options_is_reported(docs: dict[str, dict[str, Any]]) -> None:
    groups = copy.deepcopy(action_groups())
    groups["kafka"].append("kafka_cluster_id")
    found = problems(groups, docs)
    assert "kafka_cluster_id is in action group kafka but does not take the kafka connection options" in found
