# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kafka topics, the object kind behind kafka_topic: the name rule, config values, ``read_topic()`` and the
read -> plan -> apply class ``KafkaTopic``.

Everything that reaches the broker goes through the module's ``KafkaAdmin`` (``_kafka.py``); this file does not
import confluent-kafka, so the topic-name rule (``TOPIC_NAME``, ``topic_name_problem()``) can be used by code that
only names a topic, such as a pipeline.
"""

from __future__ import annotations

import difflib
import re
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from ansible_collections.transactions_st.realtime.plugins.module_utils._base import ModuleError

if TYPE_CHECKING:  # pragma: no cover - imported for the annotations only
    from ansible_collections.transactions_st.realtime.plugins.module_utils._kafka import KafkaAdmin, KafkaModule

# Kafka's own rule (org.apache.kafka.common.internals.Topic.validate in apache/kafka): ASCII letters, digits,
# '.', '_' and '-', 1 to 249 characters, and not '.' or '..'. The one topic-name pattern of the collection:
# use it with fullmatch() (``$`` would let a trailing newline through).
TOPIC_NAME_MAX_LENGTH = 249
TOPIC_NAME = re.compile(rf"[A-Za-z0-9._-]{{1,{TOPIC_NAME_MAX_LENGTH}}}")
_TOPIC_NAME_CHARACTER = re.compile(r"[A-Za-z0-9._-]")


def topic_name_problem(name: object) -> str | None:
    """Why Kafka would refuse ``name`` as a topic name (a message naming it), or None if it is a valid name."""
    if not isinstance(name, str) or not name:
        return "invalid topic name: the name is empty"
    if name in (".", ".."):
        return f"invalid topic name {name!r}: '.' and '..' are not allowed"
    if len(name) > TOPIC_NAME_MAX_LENGTH:
        return f"invalid topic name {name[:40]!r}...: {len(name)} characters, at most {TOPIC_NAME_MAX_LENGTH} allowed"
    if not TOPIC_NAME.fullmatch(name):
        bad = sorted({ch for ch in name if not _TOPIC_NAME_CHARACTER.fullmatch(ch)})
        return (
            f"invalid topic name {name!r}: only ASCII letters, digits, '.', '_' and '-' are allowed "
            f"(found {', '.join(repr(ch) for ch in bad)})"
        )
    return None


def validate_topic_name(name: object) -> str:
    """Return ``name`` if Kafka accepts it as a topic name, else raise ModuleError saying why."""
    problem = topic_name_problem(name)
    # The isinstance() test only tells type checkers what topic_name_problem() already checked.
    if problem is not None or not isinstance(name, str):
        raise ModuleError(problem or "invalid topic name: the name is empty")
    return name


def normalize_config(config: Mapping[str, Any] | None) -> dict[str, str]:
    """Config values (a module's O(config)) as the strings the broker reports, keys sorted."""
    out: dict[str, str] = {}
    for key, value in (config or {}).items():
        if not isinstance(key, str) or not key.strip():
            raise ModuleError(f"config: {key!r} is not a config key")
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, (int, float, str)):
            out[key] = str(value)
        elif isinstance(value, (list, tuple)) and all(
            isinstance(v, (int, float, str)) and not isinstance(v, bool) for v in value
        ):
            out[key] = ",".join(str(v) for v in value)
        else:
            kind = "null" if value is None else type(value).__name__
            raise ModuleError(f"config {key!r}: give a string, number, boolean or list, not {kind}")
    return dict(sorted(out.items()))


def config_changes(current: Mapping[str, str | None], desired: Mapping[str, str]) -> dict[str, str]:
    """The given keys whose value differs from the broker's."""
    return {key: value for key, value in sorted(desired.items()) if current.get(key) != value}


def unknown_key_error(name: str, unknown: list[str], known: Iterable[str]) -> str:
    hints = [
        f"{key!r} (did you mean {m[0]!r}?)" if (m := difflib.get_close_matches(key, list(known), 1)) else repr(key)
        for key in unknown
    ]
    return f"unknown topic config key{'s' if len(unknown) > 1 else ''} for topic {name!r}: {', '.join(hints)}"


def read_topic(admin: KafkaAdmin, name: str) -> dict[str, Any] | None:
    """``{'partitions', 'replication_factor', 'config'}`` of topic ``name`` (every config entry), or None if absent."""
    topic = admin.describe_topic(name)
    if topic is None:
        return None
    return {
        "partitions": topic["partitions"],
        "replication_factor": topic["replication_factor"],
        "config": admin.topic_configs(name),
    }


def plan_topic(name: str, before: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The operations that take the topic from ``before`` (None: absent) to ``desired``.

    Raises ModuleError, naming every problem, when the change cannot be made in place.
    """
    if desired["state"] == "absent":
        return [{"action": "delete", "name": name}] if before is not None else []
    if before is None:
        return [
            {
                "action": "create",
                "name": name,
                "partitions": desired.get("partitions"),
                "replication_factor": desired.get("replication_factor"),
                "config": dict(desired["config"]),
            }
        ]
    problems = []
    unknown = sorted(set(desired["config"]) - set(before["config"]))
    if unknown:
        problems.append(unknown_key_error(name, unknown, before["config"]))
    want, have = desired.get("partitions"), before["partitions"]
    if want is not None and want < have:
        problems.append(
            f"partitions cannot be decreased: topic {name!r} has {have} partitions, {want} requested "
            "(Kafka can only add partitions; to have fewer, create a new topic and move the data)"
        )
    want_rf, have_rf = desired.get("replication_factor"), before["replication_factor"]
    if want_rf is not None and want_rf != have_rf:
        problems.append(
            f"replication_factor cannot be changed by this module: topic {name!r} has replication factor "
            f"{have_rf}, {want_rf} requested (reassign the replicas with kafka-reassign-partitions.sh)"
        )
    if problems:
        raise ModuleError("; ".join(problems) + "; nothing was changed")
    ops: list[dict[str, Any]] = []
    if want is not None and want > have:
        ops.append({"action": "create_partitions", "name": name, "from": have, "to": want})
    changes = config_changes(before["config"], desired["config"])
    if changes:
        ops.append(
            {
                "action": "set_config",
                "name": name,
                "values": changes,
                "previous": {key: before["config"].get(key) for key in changes},
            }
        )
    return ops


def describe_operation(op: Mapping[str, Any]) -> str:
    name = op["name"]
    if op["action"] == "delete":
        return f"delete topic {name!r}"
    if op["action"] == "create":
        parts = [f"{key}={op[key]}" for key in ("partitions", "replication_factor") if op[key] is not None]
        parts += [f"{key}={value}" for key, value in sorted(op["config"].items())]
        return f"create topic {name!r}" + (f" with {', '.join(parts)}" if parts else "")
    if op["action"] == "create_partitions":
        return f"increase partitions of topic {name!r} from {op['from']} to {op['to']}"
    changes = ", ".join(f"{key}={value} (was {op['previous'][key]})" for key, value in op["values"].items())
    return f"set config of topic {name!r}: {changes}"


def predict(
    before: Mapping[str, Any] | None, ops: list[dict[str, Any]], defaults: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The state expected after ``ops`` (check mode)."""
    after = None if before is None else dict(before, config=dict(before["config"]))
    for op in ops:
        if op["action"] == "delete":
            after = None
        elif op["action"] == "create":
            after = {
                "partitions": op["partitions"] or defaults.get("partitions"),
                "config": dict(op["config"]),
                "replication_factor": op["replication_factor"] or defaults.get("replication_factor"),
            }
        elif op["action"] == "create_partitions" and after is not None:
            after["partitions"] = op["to"]
        elif after is not None:
            after["config"].update(op["values"])
    return after


def diff_view(state: Mapping[str, Any] | None, keys: list[str]) -> dict[str, Any]:
    """What the diff shows: partitions, replication_factor and the given config keys ({} when absent)."""
    if state is None:
        return {}
    return {
        "config": {key: state["config"].get(key) for key in sorted(keys)},
        "partitions": state["partitions"],
        "replication_factor": state["replication_factor"],
    }


class KafkaTopic:
    """read -> plan -> apply for one topic, through ``module.admin``.

    ``done`` lists the operations completed so far; the module reports it (RV(operations)) on failure too.
    """

    def __init__(self, module: KafkaModule, done: list[str]) -> None:
        self.module = module
        params = module.params
        self.name = validate_topic_name(params["name"])
        for key in ("partitions", "replication_factor"):
            if params[key] is not None and params[key] < 1:
                raise ModuleError(f"{key} must be at least 1, got {params[key]}")
        self.desired = {
            "state": params["state"],
            "partitions": params["partitions"],
            "replication_factor": params["replication_factor"],
            "config": normalize_config(params["config"]),
        }
        self.done = done
        self.admin = module.admin

    def read(self) -> dict[str, Any] | None:
        return read_topic(self.admin, self.name)

    def send(self, op: Mapping[str, Any], validate_only: bool) -> None:
        admin, name = self.admin, self.name
        if op["action"] == "create":
            admin.create_topic(name, op["partitions"], op["replication_factor"], op["config"], validate_only)
        elif op["action"] == "create_partitions":
            admin.create_partitions(name, op["to"], validate_only)
        elif op["action"] == "set_config":
            admin.set_topic_configs(name, op["values"], validate_only)
        elif not validate_only:
            admin.delete_topic(name)

    def validate(self, ops: list[dict[str, Any]]) -> None:
        """Send every operation as validate-only first, so a refused one leaves nothing half-done."""
        for op in ops:
            try:
                self.send(op, validate_only=True)
            except ModuleError as exc:
                unknown = sorted(k for k in self.desired["config"] if f"Unknown topic config name: {k}" in exc.msg)
                if unknown:  # a new topic: the broker checked the keys
                    raise ModuleError(f"{unknown_key_error(self.name, unknown, [])}; nothing was changed") from None
                raise ModuleError(f"{exc.msg} (refused in a validate-only request); nothing was changed") from None

    def wait(self, op: Mapping[str, Any]) -> None:
        admin, name = self.admin, self.name
        if op["action"] == "create":
            admin.wait_for(f"the new topic {name!r}", lambda: (admin.describe_topic(name) or {}).get("online", False))
        elif op["action"] == "delete":
            admin.wait_for(f"the deletion of topic {name!r}", lambda: admin.describe_topic(name) is None)
        elif op["action"] == "create_partitions":
            admin.wait_for(
                f"the new partitions of topic {name!r}",
                lambda: (admin.describe_topic(name) or {}).get("partitions", 0) >= op["to"],
            )
        elif not admin.wait_for("", lambda: not config_changes(admin.topic_configs(name), op["values"]), fail=False):
            self.module.warn(
                f"topic {name!r}: the broker does not report the new config values after "
                f"{admin.timeout:g} s; the next run may report a change again"
            )

    def apply(self, ops: list[dict[str, Any]]) -> None:
        for op in ops:
            try:
                self.send(op, validate_only=False)
            except ModuleError as exc:
                done = f"after {len(self.done)} completed operation(s)" if self.done else "nothing was changed"
                raise ModuleError(f"{exc.msg}; {done}") from None
            self.done.append(describe_operation(op))
            self.wait(op)

    def run(self) -> dict[str, Any]:
        broker_ids = self.admin.check_reachable()
        before = self.read()
        ops = plan_topic(self.name, before, self.desired)
        if ops:
            self.validate(ops)
        if ops and not self.module.check_mode:
            self.apply(ops)
            after = self.read()
        elif ops:
            missing = before is None and None in (self.desired["partitions"], self.desired["replication_factor"])
            after = predict(before, ops, self.admin.broker_defaults(broker_ids) if missing else {})
        else:
            after = before
        topic: dict[str, Any] = {"name": self.name, "exists": after is not None}
        if after is not None:
            topic.update(after, config=dict(sorted(after["config"].items())))
        result: dict[str, Any] = {
            "changed": bool(ops),
            "operations": [describe_operation(op) for op in ops],
            "topic": topic,
        }
        if self.module.diff:
            keys = list(self.desired["config"])
            result["diff"] = {"before": diff_view(before, keys), "after": diff_view(after, keys)}
        return result
