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
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying the target.
    support: full
    details:
      - When the file does not exist, the task reports a change and RV(cluster_id) is V(null); no id is drawn
        and nothing is written. A missing directory is not an error in check mode (an earlier task may be the
        one that creates it); in a real run it is.
  diff_mode:
    description: Returns details on what has changed (or would change in check mode).
    support: full
    details:
      - A new file shows as added; in check mode its content is a placeholder, since the id is drawn at the real run.
  idempotent:
    description: When run twice in a row with the same arguments, the second run reports no change.
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

import os
import tempfile
from typing import Any, Callable

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.transactions_st.realtime.plugins.module_utils._kafka_cluster_id import decode, new_cluster_id

# More than any id file needs; a larger file is not one.
MAX_FILE_BYTES = 4096
CHECK_MODE_PLACEHOLDER = "(a new Kafka cluster id, drawn at the first real run)"


class ClusterIdError(Exception):
    """Something the task cannot proceed with; nothing has been changed."""


def read_cluster_id(path: str) -> str:
    """The id in an existing ``path``, checked against Kafka's rule; ClusterIdError otherwise."""
    if not os.path.isfile(path):
        raise ClusterIdError(f"{path} exists but is not a regular file; it should hold the Kafka cluster id")
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ClusterIdError(f"cannot read {path}: {to_native(exc.strerror or exc)}") from None
    if len(data) > MAX_FILE_BYTES:
        raise ClusterIdError(f"{path} is larger than {MAX_FILE_BYTES} bytes: it does not hold a Kafka cluster id")
    try:
        text = data.decode("ascii").strip()
    except UnicodeDecodeError:
        raise ClusterIdError(f"{path} is not ASCII text: it does not hold a Kafka cluster id") from None
    try:
        decode(text)
    except ValueError as exc:
        raise ClusterIdError(
            f"{path} does not hold a Kafka cluster id: {exc}. The file is kept as it is; fix or remove it "
            "(a different id does not start on a log directory already formatted)"
        ) from None
    return text


def write_new(path: str, cluster_id: str) -> tuple[str, bool]:
    """Write ``cluster_id`` to ``path`` unless the file exists by now.

    Returns the id the file holds and whether this call created it: a file that appeared meanwhile is
    kept and its id returned, never replaced.
    """
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".cluster.id.", dir=directory)  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(cluster_id + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)  # atomic, and refuses to replace a file that appeared meanwhile
        except FileExistsError:
            return read_cluster_id(path), False
    finally:
        os.unlink(tmp)
    return cluster_id, True


def ensure_cluster_id(path: str, check_mode: bool, random_bytes: Callable[[int], bytes] = os.urandom) -> dict[str, Any]:
    """The task's result: read the id in ``path`` or make it there; ClusterIdError when neither can be done."""
    result: dict[str, Any] = {"changed": False, "generated": False, "path": path}
    if os.path.lexists(path):
        result["cluster_id"] = read_cluster_id(path)
        return result
    # Check mode first: an earlier task of the same run (which check mode did not run) may be the one
    # that creates the directory.
    if check_mode:
        result.update(
            changed=True,
            generated=True,
            cluster_id=None,
            diff={"before": "", "after": CHECK_MODE_PLACEHOLDER + "\n", "before_header": path, "after_header": path},
        )
        return result
    if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
        raise ClusterIdError(f"the directory of {path} does not exist; create it before making the cluster id")
    try:
        cluster_id, created = write_new(path, new_cluster_id(random_bytes))
    except OSError as exc:
        raise ClusterIdError(f"cannot write {path}: {to_native(exc.strerror or exc)}") from None
    result["cluster_id"] = cluster_id
    if created:
        result.update(
            changed=True,
            generated=True,
            diff={"before": "", "after": cluster_id + "\n", "before_header": path, "after_header": path},
        )
    return result


def main() -> None:
    module = AnsibleModule(argument_spec={"path": {"type": "path", "required": True}}, supports_check_mode=True)
    try:
        result = ensure_cluster_id(module.params["path"], module.check_mode)
    except ClusterIdError as exc:
        module.fail_json(msg=str(exc), changed=False, path=module.params["path"])
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
