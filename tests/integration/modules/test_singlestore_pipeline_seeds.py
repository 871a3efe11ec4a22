"""The two pipelines of the seed walkthrough (seed/transactions-st.md), declared with singlestore_pipeline.

kafka_msg_consumer: raw lines of a topic into messages(id text); TEST PIPELINE LIMIT 1, then one FOREGROUND batch,
then running. retails_kafka_consumer: the seed producer's JSON transactions into product_transactions (the collection's
table definition), duplicate transaction ids skipped.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

from _ansible import login_options, query, run_steps, step
from _pipelines import converge, count, lag, pdb, produce, run, s2, state, topics, wait_for  # noqa: F401 - fixtures

REPO = Path(__file__).resolve().parents[3]


def test_seed_kafka_msg_consumer(tmp_path, s2, pdb, topics, kafka_bootstrap) -> None:
    query(s2, f"CREATE TABLE `{pdb}`.messages (id text)")
    topic = topics(1)
    base = dict(database=pdb, name="kafka_msg_consumer", kafka={"brokers": [kafka_bootstrap], "topic": topic}, table="messages")
    res = converge(tmp_path, s2, base, pdb)  # CREATE PIPELINE kafka_msg_consumer AS LOAD DATA KAFKA '.../test' INTO TABLE messages
    assert res[1]["queries"] == [f"CREATE PIPELINE `kafka_msg_consumer`\nAS LOAD DATA KAFKA '{kafka_bootstrap}/{topic}'\n"
                                 "INTO TABLE `messages`"]
    assert res[1]["pipeline"]["format"] == "csv" and res[1]["pipeline"]["state"] == "Stopped"

    produce(kafka_bootstrap, topic, [b"msg0\n"])  # echo "msg0" | kcat -P -t test
    tested, checked, loaded, nothing = run_steps(tmp_path, login_options(s2), [
        step("singlestore_pipeline", dict(base, test=True, test_limit=1)),          # TEST PIPELINE kafka_msg_consumer LIMIT 1
        step("singlestore_pipeline", dict(base, foreground_batches=1), check=True),
        step("singlestore_pipeline", dict(base, foreground_batches=1)),             # START PIPELINE ... FOREGROUND LIMIT 1 BATCHES
        step("singlestore_pipeline", dict(base, foreground_batches=1)),
    ]).results
    assert tested["changed"] is False and tested["test_rows"] == [{"id": "msg0"}], tested
    assert checked["queries"] == ["START PIPELINE `kafka_msg_consumer` FOREGROUND LIMIT 1 BATCHES"] and "rows_loaded" not in checked
    assert checked["changed"] is False and loaded["changed"] is True and loaded["rows_loaded"] == 1, loaded
    assert nothing["changed"] is False and nothing["rows_loaded"] == 0
    assert query(s2, f"SELECT id FROM `{pdb}`.messages") == [("msg0",)], "TEST loaded a row, or FOREGROUND did not load one"

    converge(tmp_path, s2, dict(base, state="started"), pdb)  # START PIPELINE kafka_msg_consumer
    lines = [time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(1_750_000_000 + i)).encode() + b"\n" for i in range(3)]
    produce(kafka_bootstrap, topic, lines)  # while true; do date | kcat -P ...; done
    wait_for("the dates in messages", lambda: count(s2, pdb, "messages") == 4 and lag(s2, pdb, "kafka_msg_consumer") == 0)
    assert sorted(r[0] for r in query(s2, f"SELECT id FROM `{pdb}`.messages")) == sorted(["msg0"] + [x.decode().strip() for x in lines])
    assert state(s2, pdb, "kafka_msg_consumer") == "Running"


def seed_messages(n: int, seed: int = 7) -> list[dict]:
    """The seed producer's messages (random ids in 1..1,000,000, so some repeat), made deterministic."""
    rng = random.Random(seed)
    stores = [(1, "Paris", 48.8566, 2.3522), (2, "Lyon", 45.7640, 4.8357), (3, "Marseille", 43.2965, 5.3698),
              (4, "Toulouse", 43.6047, 1.4442), (5, "Rennes", 48.1147, -1.6791), (6, "Lille", 50.6292, 3.0573),
              (7, "Strasbourg", 48.5734, 7.7521)]
    products = [("Laptop", "TechCorp"), ("Smartphone", "PhoneMaster"), ("Headphones", "SoundMax"), ("Tablet", "TabWorld"),
                ("Camera", "PicPerfect")]
    out = []
    for i in range(n):
        store, product = rng.choice(stores), rng.choice(products)
        out.append({"transaction_id": rng.randint(1, 3000), "store_id": store[0], "city": store[1], "latitude": store[2],
                    "longitude": store[3], "product_name": product[0], "brand": product[1],
                    "transaction_date": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(1_750_000_000 + i)),
                    "quantity": rng.randint(1, 5), "total_amount": round(rng.uniform(5.0, 500.0), 2),
                    "customer_id": rng.randint(1, 5000), "payment_type": rng.choice(["CASH", "CARD"])})
    return out


def test_seed_retails_kafka_consumer(tmp_path, s2, pdb, topics, kafka_bootstrap) -> None:
    ddl = (REPO / "templates" / "sql" / "tables" / "product_transactions.sql").read_text()
    ddl = "\n".join(line for line in ddl.splitlines() if not line.startswith("--")).strip().rstrip(";")
    query(s2, ddl.replace("CREATE TABLE product_transactions", f"CREATE TABLE `{pdb}`.product_transactions", 1))
    topic = topics(1)  # kafka-topics.sh --create --topic retails --partitions 1
    messages = seed_messages(5000)
    produce(kafka_bootstrap, topic, messages, key=lambda m: m["transaction_id"])
    args = dict(database=pdb, name="retails_kafka_consumer", kafka={"brokers": [kafka_bootstrap], "topic": topic},
                table="product_transactions", format="json", on_duplicate="skip", state="started")
    res = converge(tmp_path, s2, args, pdb)
    assert "SKIP DUPLICATE KEY ERRORS\nINTO TABLE `product_transactions`\nFORMAT JSON" in res[1]["queries"][0]
    first = {}
    for m in messages:
        first.setdefault(m["transaction_id"], m)
    assert len(first) < len(messages), "the sample must repeat some transaction ids"
    wait_for("every distinct transaction", lambda: count(s2, pdb, "product_transactions") == len(first)
             and lag(s2, pdb, "retails_kafka_consumer") == 0, timeout=90)
    rows = query(s2, f"SELECT transaction_id, city, total_amount, payment_type FROM `{pdb}`.product_transactions")
    assert len(rows) == len(first)
    for tx_id, city, amount, payment in rows:  # SKIP DUPLICATE KEY ERRORS keeps the first message of an id
        m = first[tx_id]
        assert (city, float(amount), payment) == (m["city"], m["total_amount"], m["payment_type"])
    assert run(tmp_path, s2, args)[0]["changed"] is False
