#!/usr/bin/env python3
"""Count the messages in a Kafka topic and check the last ones, from the Molecule controller.

    topic_check.py BOOTSTRAP TOPIC [SAMPLE]

Prints one JSON object: messages (sum over partitions of high - low watermark), partitions,
sampled (how many of the newest messages were read), valid (how many of those are producer
transactions: the seed's fields, keyed by their transaction_id), and the first problem found.
Reads by offset with assign(): no consumer group, nothing committed.
"""

import json
import sys

from confluent_kafka import Consumer, TopicPartition

FIELDS = ["transaction_id", "store_id", "city", "latitude", "longitude", "product_name", "brand",
          "transaction_date", "quantity", "total_amount", "customer_id", "payment_type"]


def problem(msg):
    try:
        value = json.loads(msg.value())
    except ValueError:
        return "value is not JSON"
    if list(value) != FIELDS:
        return f"fields {list(value)}"
    if msg.key() is None or msg.key().decode() != str(value["transaction_id"]):
        return f"key {msg.key()!r} is not the transaction_id {value['transaction_id']}"
    if value["payment_type"] not in ("CASH", "CARD") or not 1 <= value["quantity"] <= 5:
        return f"values out of range: {value}"
    return None


def main(bootstrap, topic, sample=20):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "molecule-producer-check",
                         "enable.auto.commit": False, "enable.partition.eof": True})
    try:
        metadata = consumer.list_topics(topic, timeout=10)
        if metadata.topics[topic].error is not None:
            raise SystemExit(f"topic {topic}: {metadata.topics[topic].error}")
        partitions = sorted(metadata.topics[topic].partitions)
        total, assign = 0, []
        for partition in partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
            total += high - low
            if high > low:
                assign.append(TopicPartition(topic, partition, max(low, high - sample)))
        result = {"messages": total, "partitions": len(partitions), "sampled": 0, "valid": 0, "problem": None}
        consumer.assign(assign)
        eof = set()
        while len(eof) < len(assign) and result["sampled"] < sample * len(assign):
            msg = consumer.poll(5)
            if msg is None:
                break
            if msg.error():
                eof.add(msg.partition())
                continue
            result["sampled"] += 1
            found = problem(msg)
            if found is None:
                result["valid"] += 1
            elif result["problem"] is None:
                result["problem"] = found
        print(json.dumps(result))
    finally:
        consumer.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], *(int(a) for a in sys.argv[3:4]))
