# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/_kafka_topic: the collection's one topic-name rule, and every other topic-name pattern agreeing with it.

Kafka's rule (apache/kafka, org.apache.kafka.common.internals.Topic.validate): ASCII letters, digits, '.', '_'
and '-', 1 to 249 characters, not '.' or '..'.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ansible_collections.transactions_st.realtime.plugins.module_utils._base import ModuleError
from ansible_collections.transactions_st.realtime.plugins.module_utils._kafka_topic import (
    TOPIC_NAME,
    topic_name_problem,
    validate_topic_name,
)

ROOT = Path(__file__).resolve().parents[4]
VALID = ["orders", "a", "store.transactions_v2-eu", "_internal", "A" * 249, "...", "0", "a-"]
# A quoted regular expression (Python or YAML) that starts with the topic-name character class.
PATTERN_LITERAL = re.compile(r"""(?:r|rf|fr)?(["'])(\^?\\?A?\[(?:A-Za-z|a-zA-Z)0-9\._-\][^"'\n]*)\1""")
# Names a pattern can refuse by its shape alone.
INVALID_SHAPE = ["", "A" * 250, "bad name", "orders;drop", "caf\u00e9", "a/b", "new\nline", "\norders", "tab\t"]


@pytest.mark.parametrize("name", VALID)
def test_valid_names_pass_the_rule_and_the_pattern(name: str) -> None:
    assert topic_name_problem(name) is None
    assert TOPIC_NAME.fullmatch(name)
    assert validate_topic_name(name) == name


@pytest.mark.parametrize("name", INVALID_SHAPE + [".", "..", "orders\n"])
def test_invalid_names_are_refused_with_the_reason(name: str) -> None:
    problem = topic_name_problem(name)
    assert problem is not None and problem.startswith("invalid topic name")
    with pytest.raises(ModuleError) as err:
        validate_topic_name(name)
    assert err.value.msg == problem


def test_a_trailing_newline_is_named_not_let_through() -> None:
    """``^...$`` matches before a final newline; the rule is a full match: 'orders\\n' is refused before connecting."""
    assert topic_name_problem("orders\n") == (
        "invalid topic name 'orders\\n': only ASCII letters, digits, '.', '_' and '-' are allowed (found '\\n')"
    )


def topic_name_patterns() -> dict[str, list[str]]:
    """Every regular expression in plugins/ and roles/ built on the topic-name character class, by file.

    _kafka_topic.py, which holds TOPIC_NAME, is left out: the others are what must agree with it.
    """
    found: dict[str, list[str]] = {}
    for path in sorted([*(ROOT / "plugins").rglob("*.py"), *(ROOT / "roles").rglob("*.yml")]):
        if path.name == "_kafka_topic.py":
            continue
        patterns = [m.group(2) for m in PATTERN_LITERAL.finditer(path.read_text(encoding="utf-8"))]
        if patterns:
            found[str(path.relative_to(ROOT))] = patterns
    return found


def test_the_pattern_scan_finds_a_pattern_written_like_the_ones_it_looks_for() -> None:
    sample = "X = re.compile(r\"^[A-Za-z0-9._-]{1,249}$\")  # and in YAML: match('^[a-zA-Z0-9._-]+$')"
    assert [m.group(2) for m in PATTERN_LITERAL.finditer(sample)] == ["^[A-Za-z0-9._-]{1,249}$", "^[a-zA-Z0-9._-]+$"]


def test_every_other_topic_name_pattern_agrees_with_the_rule() -> None:
    """One rule for a topic name: a copy elsewhere (singlestore_pipeline's O(kafka.topic) check, say) must accept
    and refuse the same names. What a single pattern cannot express is left out: '.' and '..' (refused by the
    rule only) and a trailing newline (which ``$`` lets through). Import TOPIC_NAME instead of writing a copy."""
    for where, patterns in topic_name_patterns().items():
        for pattern in patterns:
            compiled = re.compile(pattern)
            for name in VALID:
                assert compiled.match(name), f"{where}: {pattern} refuses the valid topic name {name!r}"
            for name in INVALID_SHAPE:
                assert not compiled.match(name), f"{where}: {pattern} accepts the invalid topic name {name!r}"
