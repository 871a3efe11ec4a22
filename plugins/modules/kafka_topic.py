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

from ansible_collections.transactions_st.realtime.plugins.module_utils._kafka import KafkaModule
from ansible_collections.transactions_st.realtime.plugins.module_utils._kafka_topic import KafkaTopic


def main() -> None:
    module = KafkaModule(
        argument_spec=dict(
            name=dict(type="str", required=True, aliases=["topic"]),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            partitions=dict(type="int"),
            replication_factor=dict(type="int"),
            config=dict(type="dict"),
        ),
        supports_check_mode=True,
    )
    done: list[str] = []  # RV(operations) of a failed task: those completed before the failure
    module.run(lambda: KafkaTopic(module, done).run(), operations=done)


if __name__ == "__main__":
    main()
