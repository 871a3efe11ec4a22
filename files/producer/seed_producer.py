# -*- coding: utf-8 -*-
# Copyright: contributors to transactions_st.realtime
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The seed's tx-producer.py loop, kept only as the benchmark baseline (not for demos).

Same client configuration, same referential, same per-message random.choice/json.dumps, the
same delivery callback printing every message, one flush per batch of 10,000 and random ids
1..1,000,000 (so ids repeat). Differences, all for measuring: brokers, topic and the number of
messages come from the command line, the last batch may be shorter, and there is no pause
between batches (--pause, default 0; the seed slept 0.25 s). Send stdout to /dev/null.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sys
import time
from types import FrameType
from typing import Any, Optional

from confluent_kafka import KafkaError, Message, Producer

stores: list[dict[str, Any]] = [
    {"store_id": 1, "city": "Paris", "latitude": 48.8566, "longitude": 2.3522},
    {"store_id": 2, "city": "Lyon", "latitude": 45.7640, "longitude": 4.8357},
    {"store_id": 3, "city": "Marseille", "latitude": 43.2965, "longitude": 5.3698},
    {"store_id": 4, "city": "Toulouse", "latitude": 43.6047, "longitude": 1.4442},
    {"store_id": 5, "city": "Rennes", "latitude": 48.1147, "longitude": -1.6791},
    {"store_id": 6, "city": "Lille", "latitude": 50.6292, "longitude": 3.0573},
    {"store_id": 7, "city": "Strasbourg", "latitude": 48.5734, "longitude": 7.7521},
]

products: list[dict[str, Any]] = [
    {"product_name": "Laptop", "brand": "TechCorp"},
    {"product_name": "Smartphone", "brand": "PhoneMaster"},
    {"product_name": "Headphones", "brand": "SoundMax"},
    {"product_name": "Tablet", "brand": "TabWorld"},
    {"product_name": "Camera", "brand": "PicPerfect"},
]


def acked(err: Optional[KafkaError], msg: Message) -> None:
    if err is not None:
        print(f"Failed to deliver message: {err}")
    else:
        print(f"Message delivered to {msg.topic()} [{msg.partition()}]")


def produce_messages(producer: Producer, topic: str, count: int, batch_size: int = 10000, pause: float = 0.0) -> None:
    sent = 0
    while sent < count:
        size = min(batch_size, count - sent)
        batch = []

        for _message in range(size):
            store = random.choice(stores)
            product = random.choice(products)

            message = {
                "transaction_id": random.randint(1, 1000000),
                "store_id": store["store_id"],
                "city": store["city"],
                "latitude": store["latitude"],
                "longitude": store["longitude"],
                "product_name": product["product_name"],
                "brand": product["brand"],
                "transaction_date": time.strftime("%Y-%m-%d %H:%M:%S"),
                "quantity": random.randint(1, 5),
                "total_amount": round(random.uniform(5.0, 500.0), 2),
                "customer_id": random.randint(1, 5000),
                "payment_type": random.choice(["CASH", "CARD"]),
            }

            batch.append(message)

        for message in batch:
            producer.produce(topic, key=str(message["transaction_id"]), value=json.dumps(message), callback=acked)

        producer.flush()

        print(f"{size} sent messages.")
        sent += size
        if pause:
            time.sleep(pause)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="seed_producer", description=__doc__.splitlines()[0])
    parser.add_argument("--brokers", required=True)
    parser.add_argument("--topic", default="retails")
    parser.add_argument("--count", type=int, default=100000)
    parser.add_argument("--batch-size", type=int, default=10000)
    parser.add_argument("--pause", type=float, default=0.0)
    args = parser.parse_args(argv)

    conf = {
        "bootstrap.servers": args.brokers,
        "batch.num.messages": 1000,
        "queue.buffering.max.messages": 100000,
        "linger.ms": 10,
    }
    producer = Producer(conf)

    def signal_handler(_sig: int, _frame: Optional[FrameType]) -> None:
        print("Kafka production message stopping ...")
        producer.flush()
        sys.exit(0)

    signal.signal(signal.SIGINT, signal_handler)
    print("Start sending batch messages. Press Ctrl + C to stop.")
    produce_messages(producer, args.topic, args.count, args.batch_size, args.pause)
    return 0


if __name__ == "__main__":
    sys.exit(main())
