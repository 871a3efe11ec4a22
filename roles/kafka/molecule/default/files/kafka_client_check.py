"""A Kafka client outside the broker container: produce and consume through the EXTERNAL listener.

Run in the Molecule instance with the role's client virtualenv (confluent-kafka). Arguments:
  produce BOOTSTRAP TOPIC USER PASSWORD COUNT TAG   -> prints {"produced": n}
  consume BOOTSTRAP TOPIC USER PASSWORD COUNT TAG   -> prints {"consumed": n, "brokers": [...]}
  auth    BOOTSTRAP USER PASSWORD                   -> prints {"ok": bool, "error": str}
Messages carry TAG so that a run only counts its own.
"""

import json
import sys
import uuid

from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.admin import AdminClient


def conf(bootstrap, user, password):
    return {
        "bootstrap.servers": bootstrap,
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": user,
        "sasl.password": password,
    }


def produce(bootstrap, topic, user, password, count, tag):
    producer = Producer(conf(bootstrap, user, password))
    delivered = []

    def on_delivery(err, msg):
        if err is None:
            delivered.append(msg.offset())
        else:
            print(f"delivery failed: {err}", file=sys.stderr)

    for i in range(count):
        producer.produce(topic, key=str(i).encode(), value=json.dumps({"tag": tag, "n": i}).encode(), on_delivery=on_delivery)
    remaining = producer.flush(30)
    return {"produced": len(delivered), "unflushed": remaining}


def consume(bootstrap, topic, user, password, count, tag):
    consumer = Consumer({
        **conf(bootstrap, user, password),
        "group.id": f"molecule-{uuid.uuid4().hex}",
        "auto.offset.reset": "earliest",
        "session.timeout.ms": 6000,
        "enable.auto.commit": False,
    })
    metadata = consumer.list_topics(timeout=15)
    brokers = sorted(f"{b.host}:{b.port}" for b in metadata.brokers.values())
    consumer.subscribe([topic])
    seen = set()
    for _attempt in range(60):
        for msg in consumer.consume(num_messages=500, timeout=1.0):
            if msg.error():
                continue
            body = json.loads(msg.value())
            if body.get("tag") == tag:
                seen.add(body["n"])
        if len(seen) >= count:
            break
    consumer.close()
    return {"consumed": len(seen), "brokers": brokers}


def auth(bootstrap, user, password):
    admin = AdminClient({**conf(bootstrap, user, password), "socket.timeout.ms": 5000})
    try:
        admin.list_topics(timeout=8)
    except KafkaException as exc:
        return {"ok": False, "error": str(exc)}
    return {"ok": True, "error": ""}


def main(argv):
    action = argv[0]
    if action == "auth":
        result = auth(*argv[1:4])
    else:
        bootstrap, topic, user, password, count, tag = argv[1:7]
        result = (produce if action == "produce" else consume)(bootstrap, topic, user, password, int(count), tag)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
