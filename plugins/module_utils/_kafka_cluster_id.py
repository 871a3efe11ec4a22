# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kafka cluster ids, the object kind behind kafka_cluster_id: made and checked the way Kafka itself does it,
kept in a file (``read_cluster_id()``, ``ensure_cluster_id()``).

The rules come from Apache Kafka's ``org.apache.kafka.common.Uuid``
(repository apache/kafka, ``clients/src/main/java/org/apache/kafka/common/Uuid.java``):

- ``randomUuid()`` takes a ``java.util.UUID.randomUUID()`` (a version 4, variant 2 UUID: 122
  random bits) and draws again while the result is one of the reserved ids (``ZERO_UUID``,
  ``ONE_UUID``) or its string starts with ``-``;
- ``toString()`` is the 16 bytes in base64url without padding: 22 characters;
- ``fromString()`` accepts at most 24 characters that base64url-decode to exactly 16 bytes.

``kafka-storage.sh random-uuid`` prints such an id. 16 plain random bytes are not enough: one id in
64 starts with ``-``, which a command line that passes ``--cluster-id <id>`` as two arguments reads
as an option.
"""

from __future__ import annotations

import base64
import os
import re
import tempfile
from typing import Any, Callable

from ansible.module_utils.common.text.converters import to_native

from ansible_collections.transactions_st.realtime.plugins.module_utils._base import ModuleError

# What Uuid.toString() prints: base64url (RFC 4648 section 5) of 16 bytes, no padding.
CLUSTER_ID_LENGTH = 22
_SHAPE = re.compile(r"\A[A-Za-z0-9_-]{22}\Z")

# Uuid.RESERVED: ZERO_UUID = Uuid(0, 0) and ONE_UUID = Uuid(0, 1), as 16 big-endian bytes.
RESERVED = frozenset((bytes(16), bytes(15) + b"\x01"))


def encode(raw: bytes) -> str:
    """Uuid.toString(): base64url of the 16 bytes without the ``==`` padding."""
    if len(raw) != 16:
        raise ValueError(f"a Kafka Uuid is 16 bytes, got {len(raw)}")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode(cluster_id: str) -> bytes:
    """The 16 bytes of a 22-character id, or ValueError saying what is wrong with it.

    The message never repeats the value: a file holding something else may hold anything.
    """
    rule = (
        f"a Kafka cluster id is {CLUSTER_ID_LENGTH} base64url characters (A-Z, a-z, 0-9, '-', '_') "
        "as kafka-storage.sh random-uuid prints it"
    )
    if not isinstance(cluster_id, str):
        raise ValueError(f"{rule}; got a {type(cluster_id).__name__}")
    if len(cluster_id) != CLUSTER_ID_LENGTH:
        raise ValueError(f"{rule}; got {len(cluster_id)} characters")
    if not _SHAPE.match(cluster_id):
        raise ValueError(f"{rule}; got characters outside that alphabet")
    # Every 22 base64url characters decode to 16 bytes (the last character's 4 spare bits are
    # ignored, as Java's Base64 URL decoder that Uuid.fromString() uses ignores them).
    return base64.urlsafe_b64decode(cluster_id + "==")


def _version4(raw: bytes) -> bytes:
    """What java.util.UUID.randomUUID() does to 16 random bytes: version 4, IETF variant."""
    out = bytearray(raw)
    out[6] = (out[6] & 0x0F) | 0x40
    out[8] = (out[8] & 0x3F) | 0x80
    return bytes(out)


def new_cluster_id(random_bytes: Callable[[int], bytes] = os.urandom) -> str:
    """A new cluster id as Uuid.randomUuid() makes it.

    ``random_bytes(n)`` supplies the randomness (``os.urandom`` by default, the same source as
    Python's ``uuid.uuid4()``); tests pass their own to exercise the redraw.
    """
    while True:
        raw = _version4(random_bytes(16))
        text = encode(raw)
        # A version 4 UUID is never ZERO_UUID or ONE_UUID; the check is Kafka's, kept as it is.
        if raw not in RESERVED and not text.startswith("-"):
            return text


# More than any id file needs; a larger file is not one.
MAX_FILE_BYTES = 4096
CHECK_MODE_PLACEHOLDER = "(a new Kafka cluster id, drawn at the first real run)"


def read_cluster_id(path: str) -> str:
    """The id in an existing ``path``, checked against Kafka's rule; ModuleError otherwise."""
    if not os.path.isfile(path):
        raise ModuleError(f"{path} exists but is not a regular file; it should hold the Kafka cluster id")
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ModuleError(f"cannot read {path}: {to_native(exc.strerror or exc)}") from None
    if len(data) > MAX_FILE_BYTES:
        raise ModuleError(f"{path} is larger than {MAX_FILE_BYTES} bytes: it does not hold a Kafka cluster id")
    try:
        text = data.decode("ascii").strip()
    except UnicodeDecodeError:
        raise ModuleError(f"{path} is not ASCII text: it does not hold a Kafka cluster id") from None
    try:
        decode(text)
    except ValueError as exc:
        raise ModuleError(
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


def ensure_cluster_id(
    path: str, check_mode: bool, random_bytes: Callable[[int], bytes] = os.urandom, diff: bool = True
) -> dict[str, Any]:
    """The task's result: read the id in ``path`` or make it there; ModuleError when neither can be done.

    Nothing has been changed when it fails. ``diff``: whether the result holds a diff (the task's --diff).
    """
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
        return _with_diff(result, diff)
    if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
        raise ModuleError(f"the directory of {path} does not exist; create it before making the cluster id")
    try:
        cluster_id, created = write_new(path, new_cluster_id(random_bytes))
    except OSError as exc:
        raise ModuleError(f"cannot write {path}: {to_native(exc.strerror or exc)}") from None
    result["cluster_id"] = cluster_id
    if created:
        result.update(
            changed=True,
            generated=True,
            diff={"before": "", "after": cluster_id + "\n", "before_header": path, "after_header": path},
        )
    return _with_diff(result, diff)


def _with_diff(result: dict[str, Any], diff: bool) -> dict[str, Any]:
    if not diff:
        result.pop("diff", None)
    return result
