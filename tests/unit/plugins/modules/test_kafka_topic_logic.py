# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of kafka_topic (module_utils/_kafka_topic and _kafka): names, config values, plans, diffs, client config."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_COLLECTIONS = Path(__file__).resolve().parents[4] / "collections"
if str(_COLLECTIONS) not in sys.path:  # resolve ansible_collections.transactions_st.realtime through the committed symlink
    sys.path.insert(0, str(_COLLECTIONS))

from ansible_collections.transactions_st.realtime.plugins.module_utils import _kafka  # noqa: E402
from ansible_collections.transactions_st.realtime.plugins.module_utils._base import ModuleError  # noqa: E402
from ansible_collections.transactions_st.realtime.plugins.module_utils._kafka import (  # noqa: E402
    build_admin_config,
    secrets_of,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._kafka_topic import (  # noqa: E402
    config_changes,
    describe_operation,
    diff_view,
    normalize_config,
    plan_topic,
    predict,
    validate_topic_name,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._secrets import scrub  # noqa: E402
from ansible_collections.transactions_st.realtime.plugins.modules import kafka_topic  # noqa: E402

EXISTING = {"partitions": 3, "replication_factor": 1,
            "config": {"retention.ms": "604800000", "cleanup.policy": "delete", "segment.ms": "604800000"}}


def desired(**kwargs):
    base = {"state": "present", "partitions": None, "replication_factor": None, "config": {}}
    base.update(kwargs)
    return base


# -- topic names ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["orders", "a", "store.transactions_v2-eu", "_internal", "A" * 249, "..."])
def test_valid_topic_names(name):
    assert validate_topic_name(name) == name


@pytest.mark.parametrize("name, why", [
    ("", "empty"),
    (None, "empty"),
    (".", "'.' and '..'"),
    ("..", "'.' and '..'"),
    ("A" * 250, "250 characters, at most 249"),
    ("bad name", "' '"),
    ("orders;drop", "';'"),
    ("caf\u00e9", "'\u00e9'"),
    ("a/b", "'/'"),
    ("new\nline", "'\\n'"),
])
def test_invalid_topic_names(name, why):
    with pytest.raises(ModuleError) as err:
        validate_topic_name(name)
    assert "invalid topic name" in err.value.msg
    assert why in err.value.msg


# -- config values ----------------------------------------------------------------------------
def test_normalize_config_prints_values_as_the_broker_does():
    given = {"retention.ms": 3600000, "preallocate": True, "unclean.leader.election.enable": False,
             "min.cleanable.dirty.ratio": 0.5, "cleanup.policy": ["compact", "delete"], "compression.type": "zstd"}
    assert normalize_config(given) == {
        "cleanup.policy": "compact,delete", "compression.type": "zstd", "min.cleanable.dirty.ratio": "0.5",
        "preallocate": "true", "retention.ms": "3600000", "unclean.leader.election.enable": "false"}
    assert list(normalize_config(given)) == sorted(given)
    assert normalize_config(None) == {}


@pytest.mark.parametrize("value, kind", [(None, "null"), ({"a": 1}, "dict"), ([{"a": 1}], "list"), ([True], "list")])
def test_normalize_config_refuses_other_types(value, kind):
    with pytest.raises(ModuleError) as err:
        normalize_config({"retention.ms": value})
    assert err.value.msg == f"config 'retention.ms': give a string, number, boolean or list, not {kind}"


def test_config_changes_compares_only_given_keys():
    current = {"retention.ms": "1000", "segment.ms": "5", "cleanup.policy": "delete"}
    assert config_changes(current, {"retention.ms": "1000"}) == {}
    assert config_changes(current, {"retention.ms": "2000", "cleanup.policy": "delete"}) == {"retention.ms": "2000"}
    assert config_changes({"x": None}, {"x": "1"}) == {"x": "1"}


# -- plans ------------------------------------------------------------------------------------
def test_plan_absent_topic_absent_is_empty():
    assert plan_topic("t", None, desired(state="absent")) == []


def test_plan_delete_existing():
    assert plan_topic("t", EXISTING, desired(state="absent")) == [{"action": "delete", "name": "t"}]


def test_plan_create_carries_everything_given():
    ops = plan_topic("t", None, desired(partitions=6, replication_factor=1, config={"retention.ms": "1"}))
    assert ops == [{"action": "create", "name": "t", "partitions": 6, "replication_factor": 1, "config": {"retention.ms": "1"}}]
    assert describe_operation(ops[0]) == "create topic 't' with partitions=6, replication_factor=1, retention.ms=1"
    assert describe_operation(plan_topic("t", None, desired())[0]) == "create topic 't'"


def test_plan_nothing_to_do_when_equal_or_unspecified():
    assert plan_topic("t", EXISTING, desired()) == []
    assert plan_topic("t", EXISTING, desired(partitions=3, replication_factor=1, config={"retention.ms": "604800000"})) == []


def test_plan_partition_increase_and_config_change():
    ops = plan_topic("t", EXISTING, desired(partitions=6, config={"retention.ms": "1000", "cleanup.policy": "delete"}))
    assert ops == [
        {"action": "create_partitions", "name": "t", "from": 3, "to": 6},
        {"action": "set_config", "name": "t", "values": {"retention.ms": "1000"}, "previous": {"retention.ms": "604800000"}},
    ]
    assert [describe_operation(op) for op in ops] == [
        "increase partitions of topic 't' from 3 to 6",
        "set config of topic 't': retention.ms=1000 (was 604800000)",
    ]


def test_plan_partition_decrease_names_both_values():
    with pytest.raises(ModuleError) as err:
        plan_topic("t", EXISTING, desired(partitions=2))
    assert "partitions cannot be decreased: topic 't' has 3 partitions, 2 requested" in err.value.msg
    assert err.value.msg.endswith("nothing was changed")


def test_plan_replication_change_names_both_values():
    with pytest.raises(ModuleError) as err:
        plan_topic("t", EXISTING, desired(replication_factor=3))
    assert "topic 't' has replication factor 1, 3 requested" in err.value.msg


def test_plan_unknown_config_key_suggests_and_blocks_everything():
    with pytest.raises(ModuleError) as err:
        plan_topic("t", EXISTING, desired(partitions=6, config={"retention.msx": "1", "retention.ms": "2"}))
    assert "unknown topic config key for topic 't': 'retention.msx' (did you mean 'retention.ms'?)" in err.value.msg


def test_plan_reports_every_problem_at_once():
    with pytest.raises(ModuleError) as err:
        plan_topic("t", EXISTING, desired(partitions=1, replication_factor=2, config={"nope": "1", "zilch": "2"}))
    msg = err.value.msg
    assert "unknown topic config keys for topic 't': 'nope', 'zilch'" in msg
    assert "3 partitions, 1 requested" in msg and "replication factor 1, 2 requested" in msg


# -- prediction and diff ----------------------------------------------------------------------
def test_predict_applies_operations_without_touching_before():
    ops = plan_topic("t", EXISTING, desired(partitions=4, config={"retention.ms": "9"}))
    after = predict(EXISTING, ops, {})
    assert after["partitions"] == 4 and after["config"]["retention.ms"] == "9"
    assert after["config"]["segment.ms"] == "604800000"
    assert EXISTING["partitions"] == 3 and EXISTING["config"]["retention.ms"] == "604800000"
    assert predict(EXISTING, [{"action": "delete", "name": "t"}], {}) is None


def test_predict_create_uses_broker_defaults_for_what_is_not_given():
    ops = plan_topic("t", None, desired(config={"retention.ms": "9"}))
    after = predict(None, ops, {"partitions": 1, "replication_factor": 1})
    assert after == {"partitions": 1, "replication_factor": 1, "config": {"retention.ms": "9"}}


def test_diff_view_holds_only_given_keys_sorted():
    view = diff_view(EXISTING, ["segment.ms", "retention.ms"])
    assert view == {"config": {"retention.ms": "604800000", "segment.ms": "604800000"}, "partitions": 3, "replication_factor": 1}
    assert list(view) == sorted(view) and list(view["config"]) == sorted(view["config"])
    assert diff_view(None, ["retention.ms"]) == {}


# -- client configuration (module_utils/_kafka) ------------------------------------------------
def params(**kwargs):
    base = {"bootstrap_servers": ["127.0.0.1:9092"], "security_protocol": "PLAINTEXT", "sasl_mechanism": None,
            "sasl_username": None, "sasl_password": None, "ssl_ca_location": None, "ssl_certificate_location": None,
            "ssl_key_location": None, "ssl_key_password": None, "request_timeout": 30.0}
    base.update(kwargs)
    return base


def test_plaintext_config():
    config = build_admin_config(params(bootstrap_servers=["k1:9092", " k2:9093 ", "[::1]:9094"], request_timeout=2.5))
    assert config["bootstrap.servers"] == "k1:9092,k2:9093,[::1]:9094"
    assert config["security.protocol"] == "PLAINTEXT"
    assert config["socket.timeout.ms"] == 2500
    assert not any(key.startswith(("sasl.", "ssl.")) for key in config)


def test_sasl_ssl_mapping(tmp_path):
    ca, cert, key = (tmp_path / n for n in ("ca.pem", "cert.pem", "key.pem"))
    for f in (ca, cert, key):
        f.write_text("x")
    config = build_admin_config(params(
        security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512", sasl_username="u", sasl_password="pw",
        ssl_ca_location=str(ca), ssl_certificate_location=str(cert), ssl_key_location=str(key), ssl_key_password="kp"))
    assert config["sasl.mechanism"] == "SCRAM-SHA-512"
    assert (config["sasl.username"], config["sasl.password"]) == ("u", "pw")
    assert config["ssl.ca.location"] == str(ca)
    assert config["ssl.certificate.location"] == str(cert)
    assert (config["ssl.key.location"], config["ssl.key.password"]) == (str(key), "kp")


def test_sasl_defaults_to_plain():
    config = build_admin_config(params(security_protocol="SASL_PLAINTEXT", sasl_username="u", sasl_password="pw"))
    assert config["sasl.mechanism"] == "PLAIN"


@pytest.mark.parametrize("kwargs, message", [
    ({"bootstrap_servers": []}, "bootstrap_servers is empty"),
    ({"bootstrap_servers": ["kafka"]}, "kafka is not host:port"),
    ({"bootstrap_servers": ["kafka:99999"]}, "kafka:99999 is not host:port"),
    ({"request_timeout": 0}, "request_timeout must be a positive"),
    ({"security_protocol": "SASL_SSL", "sasl_username": "u"}, "needs sasl_password"),
    ({"sasl_username": "u", "sasl_password": "hunter2"}, "sasl_username, sasl_password given but security_protocol is PLAINTEXT"),
    ({"ssl_ca_location": "/etc/ca.pem"}, "ssl_ca_location given but security_protocol is PLAINTEXT"),
    ({"security_protocol": "SSL", "ssl_ca_location": "/nonexistent/ca.pem"}, "ssl_ca_location: no such file: /nonexistent/ca.pem"),
    ({"security_protocol": "SSL", "ssl_key_password": "hunter2"}, "ssl_key_password given without ssl_key_location"),
])
def test_bad_connection_options(kwargs, message):
    with pytest.raises(ModuleError) as err:
        build_admin_config(params(**kwargs))
    assert message in err.value.msg
    assert "hunter2" not in err.value.msg


def test_cert_and_key_together(tmp_path):
    cert = tmp_path / "c.pem"
    cert.write_text("x")
    with pytest.raises(ModuleError, match="given together"):
        build_admin_config(params(security_protocol="SSL", ssl_certificate_location=str(cert)))


def test_secrets_are_scrubbed():
    p = params(sasl_password="s3cr3t", ssl_key_password="k3y")
    assert secrets_of(p) == ["s3cr3t", "k3y"]
    assert scrub("auth failed for s3cr3t and k3y", secrets_of(p)) == "auth failed for ******** and ********"


def test_argument_spec_marks_secrets_no_log():
    spec = _kafka.kafka_argument_spec()
    assert spec["sasl_password"]["no_log"] and spec["ssl_key_password"]["no_log"]
    assert spec["ssl_key_location"]["no_log"] is False  # a path, not a secret


def test_module_documentation_parses_and_matches_spec():
    yaml = pytest.importorskip("yaml")
    doc = yaml.safe_load(kafka_topic.DOCUMENTATION)
    assert doc["version_added"] == "0.1.0"
    assert {a: doc["attributes"][a]["support"] for a in ("check_mode", "diff_mode", "idempotent")} == dict.fromkeys(
        ("check_mode", "diff_mode", "idempotent"), "full")
    assert set(doc["options"]) == {"name", "state", "partitions", "replication_factor", "config"}
    yaml.safe_load(kafka_topic.EXAMPLES)
    yaml.safe_load(kafka_topic.RETURN)
