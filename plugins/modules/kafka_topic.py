#!/usr/bin/python
# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: kafka_topic
short_description: Create, grow, configure and delete an Apache Kafka topic
version_added: 0.1.0
author: transactions_st maintainers (@transactions-st)
description:
  - Makes one Kafka topic present with the given partition count, replication factor and topic
    configuration, or makes it absent, through the Kafka admin API (confluent-kafka's C(AdminClient)).
  - The module reads the topic first and changes only what differs; C(changed) comes from that comparison.
  - Partitions can only be added. A lower O(partitions) or a different O(replication_factor) than the
    topic has is an error naming both values, and nothing is changed.
  - Every change is first sent as a validate-only request, so a value the broker refuses fails the
    task before anything is changed.
  - After a change the module waits until the cluster metadata shows it, so the next task sees it.
extends_documentation_fragment:
  - transactions_st.realtime.connection.kafka
  - transactions_st.realtime.attributes
  - transactions_st.realtime.action_group.kafka
options:
  name:
    description:
      - The topic name. Kafka allows ASCII letters, digits, C(.), C(_) and C(-), at most 249 characters,
        and not C(.) or C(..). Any other name is refused before connecting.
    type: str
    required: true
    aliases: [topic]
  state:
    description: Whether the topic should exist. V(absent) deletes the topic and its data.
    type: str
    choices: [present, absent]
    default: present
  partitions:
    description:
      - The number of partitions. When the topic exists, a higher number adds partitions; a lower one is an error.
      - When omitted, a new topic gets the broker's C(num.partitions) and an existing one is left alone.
    type: int
  replication_factor:
    description:
      - The number of replicas of each partition, used when the topic is created.
      - When the topic exists, a different value is an error (reassigning replicas is not done by this module).
      - When omitted, a new topic gets the broker's C(default.replication.factor).
    type: int
  config:
    description:
      - Topic configuration entries, for example C(retention.ms) or C(cleanup.policy).
      - Only the keys given are compared with the values the broker reports and changed (incrementally);
        other entries keep their values.
      - A key the broker does not know for topics is an error, raised before anything is changed.
      - Values may be strings, numbers, booleans or lists (joined with commas); they are compared as the
        broker prints them, so give numbers in full (V(604800000), not V(6.048e8)).
    type: dict
attributes:
  check_mode:
    support: full
    details:
      - Reads the topic and sends validate-only requests for the planned changes (these need the same
        permissions as the changes); nothing is changed.
      - For a topic that would be created, RV(topic.config) holds only the keys given in O(config).
  diff_mode:
    support: full
    details:
      - Before and after hold C(partitions), C(replication_factor) and the O(config) keys given.
  idempotent:
    support: full
seealso:
  - name: Kafka topic configuration reference
    description: Every topic configuration key and its values.
    link: https://kafka.apache.org/documentation/#topicconfigs
"""

EXAMPLES = r"""
- name: Make sure the transactions topic exists with six partitions and one week of retention
  transactions_st.realtime.kafka_topic:
    bootstrap_servers: ["kafka1.example.com:9092"]
    name: transactions
    partitions: 6
    replication_factor: 3
    config:
      retention.ms: 604800000
      cleanup.policy: delete

- name: Same topic over SASL_SSL with SCRAM, verifying the brokers with a private CA
  transactions_st.realtime.kafka_topic:
    bootstrap_servers: ["kafka1.example.com:9093", "kafka2.example.com:9093"]
    security_protocol: SASL_SSL
    sasl_mechanism: SCRAM-SHA-512
    sasl_username: ansible
    sasl_password: "{{ vault_kafka_password }}"
    ssl_ca_location: /etc/kafka/ca.pem
    name: transactions
    partitions: 6

- name: Delete a scratch topic
  transactions_st.realtime.kafka_topic:
    bootstrap_servers: ["127.0.0.1:9092"]
    name: scratch
    state: absent
"""

RETURN = r"""
topic:
  description: The topic after the task (predicted in check mode).
  returned: always
  type: dict
  contains:
    name:
      description: The topic name.
      type: str
      returned: always
    exists:
      description: Whether the topic exists.
      type: bool
      returned: always
    partitions:
      description: The number of partitions.
      type: int
      returned: when the topic exists
    replication_factor:
      description: The number of replicas of each partition.
      type: int
      returned: when the topic exists
    config:
      description:
        - Every topic configuration entry the broker reports, as strings.
        - For a topic created in check mode, only the keys given in O(config).
      type: dict
      returned: when the topic exists
  sample:
    name: transactions
    exists: true
    partitions: 6
    replication_factor: 3
    config: {"cleanup.policy": "delete", "retention.ms": "604800000"}
operations:
  description:
    - The admin operations planned (in check mode) or done, in order; on failure, those completed.
  returned: always
  type: list
  elements: str
  sample: ["increase partitions of topic 'transactions' from 3 to 6"]
"""

import traceback
from typing import Any, Mapping

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.transactions_st.realtime.plugins.module_utils._kafka import (
    CONFLUENT_KAFKA_IMPORT_ERROR,
    HAS_CONFLUENT_KAFKA,
    KafkaAdmin,
    KafkaModuleError,
    config_changes,
    kafka_argument_spec,
    normalize_config,
    secrets_of,
    unknown_key_error,
    validate_topic_name,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._secrets import scrub


def plan_topic(name: str, before: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The operations that take the topic from ``before`` (None: absent) to ``desired``.

    Raises KafkaModuleError, naming every problem, when the change cannot be made in place.
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
        raise KafkaModuleError("; ".join(problems) + "; nothing was changed")
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
    """read -> plan -> apply for one topic."""

    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        params = module.params
        self.name = validate_topic_name(params["name"])
        for key in ("partitions", "replication_factor"):
            if params[key] is not None and params[key] < 1:
                raise KafkaModuleError(f"{key} must be at least 1, got {params[key]}")
        self.desired = {
            "state": params["state"],
            "partitions": params["partitions"],
            "replication_factor": params["replication_factor"],
            "config": normalize_config(params["config"]),
        }
        self.done: list[str] = []
        self.admin = KafkaAdmin(params)

    def read(self) -> dict[str, Any] | None:
        topic = self.admin.describe_topic(self.name)
        if topic is None:
            return None
        return {
            "partitions": topic["partitions"],
            "replication_factor": topic["replication_factor"],
            "config": self.admin.topic_configs(self.name),
        }

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
            except KafkaModuleError as exc:
                unknown = sorted(k for k in self.desired["config"] if f"Unknown topic config name: {k}" in exc.msg)
                if unknown:  # a new topic: the broker checked the keys
                    raise KafkaModuleError(
                        f"{unknown_key_error(self.name, unknown, [])}; nothing was changed"
                    ) from None
                raise KafkaModuleError(f"{exc.msg} (refused in a validate-only request); nothing was changed") from None

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
            except KafkaModuleError as exc:
                done = f"after {len(self.done)} completed operation(s)" if self.done else "nothing was changed"
                raise KafkaModuleError(f"{exc.msg}; {done}") from None
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
        if self.module._diff:
            keys = list(self.desired["config"])
            result["diff"] = {"before": diff_view(before, keys), "after": diff_view(after, keys)}
        return result


def main() -> None:
    argument_spec = kafka_argument_spec()
    argument_spec.update(
        name=dict(type="str", required=True, aliases=["topic"]),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        partitions=dict(type="int"),
        replication_factor=dict(type="int"),
        config=dict(type="dict"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    if not HAS_CONFLUENT_KAFKA:
        module.fail_json(msg=missing_required_lib("confluent-kafka"), exception=CONFLUENT_KAFKA_IMPORT_ERROR)
    secrets = secrets_of(module.params)
    handler = None
    try:
        handler = KafkaTopic(module)
        result = handler.run()
    except KafkaModuleError as exc:
        module.fail_json(msg=scrub(exc.msg, secrets), operations=handler.done if handler else [])
    except Exception as exc:  # pylint: disable=broad-exception-caught  # a clear message instead of a traceback
        module.fail_json(
            msg=scrub(f"unexpected error (please report it): {type(exc).__name__}: {exc}", secrets),
            operations=handler.done if handler else [],
            exception=scrub(traceback.format_exc(), secrets),
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
