# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/_kafka.KafkaModule, the kafka_* modules' skeleton: options, lazy client, one way to fail, secrets."""

from __future__ import annotations

import json
from typing import Any, Callable

import pytest
from ansible.module_utils._internal import _traceback
from ansible.module_utils.testing import patch_module_args

from ansible_collections.transactions_st.realtime.plugins.module_utils import _kafka, _kafka_topic
from ansible_collections.transactions_st.realtime.plugins.module_utils._base import ModuleError
from ansible_collections.transactions_st.realtime.plugins.module_utils._kafka import KafkaAdmin, KafkaModule
from ansible_collections.transactions_st.realtime.plugins.modules import kafka_topic

SECRET = "s3cr3t-sasl-pw"
CONNECTION = {"bootstrap_servers": ["127.0.0.1:9"], "request_timeout": 1.0}


@pytest.fixture
def tracebacks_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """What ANSIBLE_DISPLAY_TRACEBACK=error turns on: the module's result carries the traceback (``exception``)."""
    monkeypatch.setattr(_traceback, "_is_traceback_enabled", lambda *args, **kwargs: True)


def outcome(capsys: pytest.CaptureFixture[str], args: dict[str, Any], call: Callable[[], Any]) -> dict[str, Any]:
    """Run ``call`` (which exits as a module does) with the module arguments ``args``; return its JSON result."""
    with patch_module_args(args), pytest.raises(SystemExit):
        call()
    return json.loads(capsys.readouterr().out)


def test_connection_options_are_added_to_the_modules_own() -> None:
    with patch_module_args({**CONNECTION, "name": "t"}):
        module = KafkaModule(argument_spec={"name": {"type": "str"}})
    assert module.params["name"] == "t"
    assert module.params["security_protocol"] == "PLAINTEXT" and module.params["request_timeout"] == 1.0
    assert set(_kafka.kafka_argument_spec()) <= set(module.params)


def test_a_module_without_connection_has_no_connection_options_and_no_client() -> None:
    with patch_module_args({"path": "/x"}):
        module = KafkaModule(argument_spec={"path": {"type": "path"}}, connection=False)
    assert set(module.params) == {"path"}
    with pytest.raises(RuntimeError, match="connection=False"):
        module.admin  # noqa: B018 - the property is what is tested


def test_the_client_is_built_at_first_use_once_and_let_go_by_close() -> None:
    with patch_module_args(CONNECTION):
        module = KafkaModule(argument_spec={})
    assert module._admin is None  # constructing the module connects to nothing
    admin = module.admin
    assert isinstance(admin, KafkaAdmin) and module.admin is admin
    module.close()
    assert module._admin is None


def test_bad_connection_options_fail_at_first_use_with_the_reason() -> None:
    with patch_module_args({**CONNECTION, "bootstrap_servers": ["kafka"]}):
        module = KafkaModule(argument_spec={})
    with pytest.raises(ModuleError, match="kafka is not host:port"):
        module.admin  # noqa: B018


@pytest.mark.usefixtures("tracebacks_on")
def test_without_confluent_kafka_the_module_fails_with_missing_required_lib(capsys, monkeypatch) -> None:
    monkeypatch.setattr(_kafka, "HAS_CONFLUENT_KAFKA", False)
    monkeypatch.setattr(_kafka, "CONFLUENT_KAFKA_IMPORT_ERROR", "Traceback: No module named 'confluent_kafka'")
    result = outcome(capsys, CONNECTION, lambda: KafkaModule(argument_spec={}))
    assert result["failed"] is True
    assert "confluent-kafka" in result["msg"] and "No module named" in result["exception"]
    # A module without a connection does not need the library.
    with patch_module_args({}):
        KafkaModule(argument_spec={}, connection=False)


def test_run_exits_with_the_tasks_result(capsys) -> None:
    def call() -> None:
        KafkaModule(argument_spec={}).run(lambda: {"changed": True, "x": 1}, operations=["unused"])

    result = outcome(capsys, CONNECTION, call)
    assert result["changed"] is True and result["x"] == 1
    assert "operations" not in result and "failed" not in result


def test_a_module_error_fails_with_its_message_the_report_and_no_secret(capsys) -> None:
    done = ["create topic 't'"]

    def task() -> dict[str, Any]:
        raise ModuleError(f"authentication failed with password {SECRET}", hint="extra key")

    args = {**CONNECTION, "security_protocol": "SASL_PLAINTEXT", "sasl_password": SECRET}
    result = outcome(capsys, args, lambda: KafkaModule(argument_spec={}).run(task, operations=done, changed=False))
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"] == "authentication failed with password ********"
    assert result["operations"] == ["create topic 't'"] and result["hint"] == "extra key"
    assert "exception" not in result  # tracebacks are off by default
    assert SECRET not in json.dumps(result)


@pytest.mark.usefixtures("tracebacks_on")
def test_a_module_errors_traceback_is_scrubbed_too(capsys) -> None:
    def task() -> dict[str, Any]:
        raise ModuleError(f"authentication failed with password {SECRET}")

    args = {**CONNECTION, "security_protocol": "SASL_PLAINTEXT", "sasl_password": SECRET}
    result = outcome(capsys, args, lambda: KafkaModule(argument_spec={}).run(task))
    assert "ModuleError: authentication failed with password ********" in result["exception"]
    assert SECRET not in json.dumps(result)


def test_a_module_errors_extra_keys_win_over_the_report(capsys) -> None:
    def task() -> dict[str, Any]:
        raise ModuleError("no", operations=["from the error"])

    result = outcome(capsys, CONNECTION, lambda: KafkaModule(argument_spec={}).run(task, operations=[]))
    assert result["operations"] == ["from the error"]


@pytest.mark.usefixtures("tracebacks_on")
def test_any_other_exception_is_an_unexpected_error_with_a_scrubbed_traceback(capsys) -> None:
    def task() -> dict[str, Any]:
        raise KeyError(f"bug near {SECRET}")

    args = {**CONNECTION, "security_protocol": "SASL_PLAINTEXT", "sasl_password": SECRET}
    result = outcome(capsys, args, lambda: KafkaModule(argument_spec={}).run(task, operations=[]))
    assert result["failed"] is True and result["operations"] == []
    assert result["msg"].startswith("unexpected error (please report it): KeyError:")
    assert "Traceback" in result["exception"] and "KeyError" in result["exception"]
    assert SECRET not in json.dumps(result)


def test_the_client_is_let_go_when_the_module_fails(capsys) -> None:
    modules: list[KafkaModule] = []

    def call() -> None:
        module = KafkaModule(argument_spec={})
        modules.append(module)

        def task() -> dict[str, Any]:
            assert module.admin is not None
            raise ModuleError("refused")

        module.run(task)

    assert outcome(capsys, CONNECTION, call)["msg"] == "refused"
    assert modules[0]._admin is None


# -- kafka_topic through the skeleton (no broker: everything below fails before a request) -----------------------
def run_topic(capsys: pytest.CaptureFixture[str], **args: Any) -> dict[str, Any]:
    return outcome(capsys, {**CONNECTION, **args}, kafka_topic.main)


def test_kafka_topic_refuses_a_bad_name_before_building_a_client(capsys, monkeypatch) -> None:
    built: list[object] = []
    monkeypatch.setattr(_kafka, "KafkaAdmin", built.append)
    result = run_topic(capsys, name="bad name")
    assert result["failed"] is True and result["operations"] == []
    assert result["msg"] == (
        "invalid topic name 'bad name': only ASCII letters, digits, '.', '_' and '-' are allowed (found ' ')"
    )
    assert built == []


def test_kafka_topic_reports_bad_connection_options_without_the_secret(capsys) -> None:
    result = run_topic(capsys, name="t", sasl_username="u", sasl_password=SECRET)
    assert result["failed"] is True and result["operations"] == []
    assert (
        result["msg"]
        == "sasl_username, sasl_password given but security_protocol is PLAINTEXT; use SASL_PLAINTEXT or SASL_SSL"
    )
    assert SECRET not in json.dumps(result)


def test_kafka_topic_reports_the_operations_done_before_a_failure(capsys, monkeypatch) -> None:
    def half_done(self: _kafka_topic.KafkaTopic) -> dict[str, Any]:
        self.done.append("create topic 't'")
        raise ModuleError(f"increasing the partitions failed for {SECRET}")

    monkeypatch.setattr(_kafka_topic.KafkaTopic, "run", half_done)
    result = run_topic(capsys, name="t", security_protocol="SASL_PLAINTEXT", sasl_username="u", sasl_password=SECRET)
    assert result["failed"] is True and result["operations"] == ["create topic 't'"]
    assert result["msg"] == "increasing the partitions failed for ********"
