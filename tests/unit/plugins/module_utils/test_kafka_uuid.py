# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/_kafka_cluster_id: cluster ids as Kafka's Uuid.randomUuid() makes them and Uuid.fromString() reads them.

Kafka's rules (apache/kafka, clients/src/main/java/org/apache/kafka/common/Uuid.java):
randomUuid() = java.util.UUID.randomUUID() (version 4, IETF variant), drawn again while it is ZERO_UUID
or ONE_UUID or its toString() starts with "-"; toString() = base64url without padding; fromString()
takes at most 24 characters that base64url-decode to exactly 16 bytes. The checks below restate those
rules independently of the module's own code.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Iterator

import pytest

from ansible_collections.transactions_st.realtime.plugins.module_utils import _kafka_cluster_id
from ansible_collections.transactions_st.realtime.plugins.module_utils._kafka_cluster_id import (
    decode,
    encode,
    new_cluster_id,
)

ZERO_UUID = "AAAAAAAAAAAAAAAAAAAAAA"  # Uuid(0L, 0L).toString()
ONE_UUID = "AAAAAAAAAAAAAAAAAAAAAQ"  # Uuid(0L, 1L).toString()
BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


def kafka_from_string(text: str) -> bytes:
    """Uuid.fromString(): at most 24 characters, base64url-decoding to exactly 16 bytes (else an error)."""
    if len(text) > 24:
        raise ValueError("too long")
    if not BASE64URL.fullmatch(text.rstrip("=")):
        raise ValueError("not base64url")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:
        raise ValueError(str(exc)) from None
    if len(raw) != 16:
        raise ValueError(f"{len(raw)} bytes")
    return raw


def assert_kafka_random_uuid(text: str) -> None:
    """What Uuid.randomUuid().toString() can print."""
    assert len(text) == 22 and BASE64URL.fullmatch(text), text
    raw = kafka_from_string(text)
    assert base64.urlsafe_b64encode(raw).decode().rstrip("=") == text  # canonical: toString() prints it back
    assert not text.startswith("-"), text
    assert text not in (ZERO_UUID, ONE_UUID)
    as_uuid = uuid.UUID(bytes=raw)
    assert as_uuid.version == 4 and as_uuid.variant == uuid.RFC_4122, text  # java.util.UUID.randomUUID()


def test_1000_generated_ids_have_kafkas_shape_and_rule() -> None:
    ids = [new_cluster_id() for dummy in range(1000)]
    for cluster_id in ids:
        assert_kafka_random_uuid(cluster_id)
        assert len(decode(cluster_id)) == 16
    assert len(set(ids)) == 1000


def draws(*first_bytes: int) -> tuple[list[int], object]:
    """A random source whose successive 16-byte draws start with the given bytes (the rest zero)."""
    used: list[int] = []
    queue: Iterator[int] = iter(first_bytes)

    def random_bytes(n: int) -> bytes:
        assert n == 16
        first = next(queue)
        used.append(first)
        return bytes([first]) + bytes(15)

    return used, random_bytes


def test_an_id_starting_with_dash_is_drawn_again() -> None:
    # base64url value 62 is "-": a first byte 0b111110xx encodes as "-", 0b111111xx as "_".
    used, random_bytes = draws(0xF8, 0xFB, 0xFC)
    cluster_id = new_cluster_id(random_bytes)
    assert used == [0xF8, 0xFB, 0xFC]
    assert cluster_id.startswith("_")
    assert_kafka_random_uuid(cluster_id)


def test_plain_random_bytes_would_start_with_dash() -> None:
    """Why the redraw matters: the bytes of the first two draws above do encode with a leading '-'."""
    assert encode(bytes([0xF8]) + bytes(15)).startswith("-")
    assert encode(bytes([0xFB]) + bytes(15)).startswith("-")


def test_version_and_variant_bits_are_set_like_java() -> None:
    used, random_bytes = draws(0x00)
    cluster_id = new_cluster_id(random_bytes)
    assert used == [0x00]
    raw = kafka_from_string(cluster_id)
    assert raw == bytes(6) + b"\x40" + bytes(1) + b"\x80" + bytes(7)
    assert cluster_id not in (ZERO_UUID, ONE_UUID)


def test_reserved_ids_are_kafkas() -> None:
    assert {encode(raw) for raw in _kafka_cluster_id.RESERVED} == {ZERO_UUID, ONE_UUID}


@pytest.mark.parametrize("cluster_id", [
    "q1Sh-9_ODXmNsuvZH8wK1w",
    "-eMCtK--X86sw5L6g3nShT",  # a leading "-": Kafka reads it (fromString), so an existing one is kept
    "_aaaaaaaaaaaaaaaaaaaaa",
    ZERO_UUID,
    "AAAAAAAAAAAAAAAAAAAAAB",  # spare bits set: Java's URL decoder ignores them, as Python's does
])
def test_existing_ids_kafka_reads_are_valid(cluster_id: str) -> None:
    assert decode(cluster_id) == kafka_from_string(cluster_id)


@pytest.mark.parametrize("value, why", [
    ("", "got 0 characters"),
    ("q1Sh-9_ODXmNsuvZH8wK1", "got 21 characters"),
    # Uuid.fromString() would also take the padded form; Kafka never prints it, and neither the role
    # nor kafka-storage.sh ever wrote it, so a file holding it is refused rather than guessed at.
    ("q1Sh-9_ODXmNsuvZH8wK1w==", "got 24 characters"),
    ("q1Sh+9/ODXmNsuvZH8wK1w", "outside that alphabet"),  # base64, not base64url
    ("q1Sh-9_ODXmNsuvZH8wK1 ", "outside that alphabet"),
    ("5ba6ab2e-4e4d-4b1a-9a6e-2a4c3c1d9e0f", "got 36 characters"),  # a UUID in its usual form
    (None, "got a NoneType"),
])
def test_values_that_are_not_cluster_ids_are_refused(value, why) -> None:
    with pytest.raises(ValueError, match=re.escape(why)):
        decode(value)


def test_encode_wants_16_bytes() -> None:
    with pytest.raises(ValueError, match="16 bytes, got 15"):
        encode(bytes(15))
