#!/usr/bin/python
# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: kafka_cluster_id
short_description: Make a KRaft cluster id once, as Kafka makes it, and keep it in a file
version_added: 0.1.0
author: transactions_st maintainers (@transactions-st)
description:
  - Returns the Kafka cluster id kept in O(path). When the file does not exist, a new id is drawn the way
    Kafka's own C(Uuid.randomUuid()) draws it (what C(kafka-storage.sh random-uuid) prints) and written there.
  - "A new id is a random version 4 UUID in base64url without padding (22 characters), drawn again while it
    starts with C(-) or is one of Kafka's reserved ids (all zeros, or 1). Source: apache/kafka,
    C(clients/src/main/java/org/apache/kafka/common/Uuid.java) (C(randomUuid), C(toString), C(fromString))."
  - An existing file is never rewritten and its id never regenerated, because a KRaft log directory formatted
    with one cluster id does not start with another. An existing id that starts with C(-) is kept, since Kafka accepts
    it, and apache/kafka's image (like the lab's stand-in) formats storage with C(--cluster-id=<id>) as one argument.
  - An existing file that does not hold a 22-character base64url id (surrounding whitespace ignored) is an
    error that names the file and the rule, without printing the file's content; nothing is changed.
  - A new file is written under a temporary name in the same directory and linked into place, so it is never
    half-written and an id written meanwhile by someone else is kept rather than replaced. It is created with
    mode C(0600), owned by the user the module runs as.
  - Not part of the C(kafka) action group, because it takes no connection options.
options:
  path:
    description:
      - The file that holds the cluster id (one line). Its directory must exist.
    type: path
    required: true
extends_documentation_fragment:
  - transactions_st.realtime.attributes
attributes:
  check_mode:
    support: full
    details:
      - When the file does not exist, the task reports a change and RV(cluster_id) is V(null); no id is drawn
        and nothing is written. A missing directory is not an error in check mode (an earlier task may be the
        one that creates it); in a real run it is.
  diff_mode:
    support: full
    details:
      - A new file shows as added; in check mode its content is a placeholder, since the id is drawn at the real run.
  idempotent:
    support: full
seealso:
  - name: Kafka's Uuid class
    description: How Kafka makes (C(randomUuid)), prints (C(toString)) and reads (C(fromString)) the ids.
    link: https://github.com/apache/kafka/blob/trunk/clients/src/main/java/org/apache/kafka/common/Uuid.java
"""

EXAMPLES = r"""
- name: Make the cluster id once
  transactions_st.realtime.kafka_cluster_id:
    path: /opt/kafka-stack/cluster.id
  register: kafka_cluster_id

- name: Use it
  ansible.builtin.debug:
    msg: "CLUSTER_ID={{ kafka_cluster_id.cluster_id }}"
"""

RETURN = r"""
cluster_id:
  description:
    - The cluster id kept in O(path).
    - V(null) in check mode when the file does not exist yet.
  returned: always
  type: str
  sample: q1Sh-9_ODXmNsuvZH8wK1w
generated:
  description: Whether the id is new (drawn by this task, or would be in check mode).
  returned: always
  type: bool
  sample: false
path:
  description: The file, as given.
  returned: always
  type: str
  sample: /opt/kafka-stack/cluster.id
"""

from ansible_collections.transactions_st.realtime.plugins.module_utils._kafka import KafkaModule
from ansible_collections.transactions_st.realtime.plugins.module_utils._kafka_cluster_id import ensure_cluster_id


def main() -> None:
    module = KafkaModule(
        argument_spec={"path": {"type": "path", "required": True}}, connection=False, supports_check_mode=True
    )
    path = module.params["path"]
    module.run(lambda: ensure_cluster_id(path, module.check_mode, diff=module.diff), changed=False, path=path)


if __name__ == "__main__":
    main()
