"""The lab Kafka broker takes 10,000 messages and gives every one of them back."""

from __future__ import annotations

import time
import uuid

import pytest
from confluent_kafka import Consumer, KafkaError, Message, Producer
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]  # stubs lag the API

pytestmark = pytest.mark.lab

COUNT = 10_000


def test_produce_and_consume_10k(kafka_bootstrap: str) -> None:
    run = uuid.uuid4().hex
    topic = f"lab-test-{run}"
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])[topic].result(timeout=30)
    try:
        sent = {f'{{"run": "{run}", "seq": {i}}}' for i in range(COUNT)}
        errors: list[KafkaError] = []

        def delivered(err: KafkaError | None, _msg: Message) -> None:
            if err is not None:
                errors.append(err)

        producer = Producer({"bootstrap.servers": kafka_bootstrap, "linger.ms": 20, "acks": "all"})
        for payload in sent:
            producer.produce(topic, payload.encode(), on_delivery=delivered)
            producer.poll(0)
        assert producer.flush(60) == 0, "messages still queued after 60 s"
        assert not errors, f"{len(errors)} delivery errors, first: {errors[0]}"

        consumer = Consumer({
            "bootstrap.servers": kafka_bootstrap,
            "group.id": f"lab-test-{run}",  # unique: no rebalance with other tests' consumers
            "auto.offset.reset": "earliest",
            "session.timeout.ms": 6000,  # the broker's minimum; group joins wait on it
            "heartbeat.interval.ms": 1000,
            "enable.auto.commit": False,
        })
        received: list[str] = []
        try:
            consumer.subscribe([topic])
            deadline = time.monotonic() + 120
            while len(received) < COUNT and time.monotonic() < deadline:
                for msg in consumer.consume(num_messages=1000, timeout=1.0):
                    value = msg.value()
                    assert msg.error() is None and value is not None, msg.error()
                    received.append(value.decode())
        finally:
            consumer.close()
    finally:
        admin.delete_topics([topic])[topic].result(timeout=30)

    assert len(received) == COUNT
    assert set(received) == sent
