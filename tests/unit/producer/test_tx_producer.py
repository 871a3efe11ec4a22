# -*- coding: utf-8 -*-
# Copyright: contributors to transactions_st.realtime
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of files/producer/tx_producer.py: ids, message shape, configuration, dry run."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "files" / "producer" / "tx_producer.py"
SEED_FIELDS = ["transaction_id", "store_id", "city", "latitude", "longitude", "product_name", "brand",
               "transaction_date", "quantity", "total_amount", "customer_id", "payment_type"]
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$")


def _load():
    spec = importlib.util.spec_from_file_location("tx_producer", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["tx_producer"] = module
    spec.loader.exec_module(module)
    return module


tp = _load()


def run_script(*args, env=None, timeout=60):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(tp.ENV_PREFIX)}
    full_env.update(env or {})
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, env=full_env,
                          timeout=timeout, check=False)


def parse_utc(text):
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc)


# ----------------------------------------------------------------------------- ids


def fixed_randbelow(*values):
    """A stand-in for SystemRandom().randrange returning `values` (prefix - 1) in turn."""
    values = list(values)

    def randbelow(limit):
        assert limit == tp.IdAllocator.PREFIX_LIMIT - 1
        return values.pop(0) - 1

    return randbelow


def take(alloc, count):
    """`count` ids as ints, across as many keys() calls as needed."""
    ids = []
    while len(ids) < count:
        ids.extend(map(int, alloc.keys(count - len(ids))))
    return ids


def test_ids_are_positive_64_bit_signed_and_consecutive_within_a_block():
    largest = tp.IdAllocator.PREFIX_LIMIT - 1
    alloc = tp.IdAllocator(fixed_randbelow(largest))
    ids = take(alloc, tp.IdAllocator.BLOCK)
    assert ids == list(range(largest * 10**6, largest * 10**6 + 10**6))
    assert 0 < ids[0] and ids[-1] < 2**63  # fits a signed BIGINT, even for the largest prefix
    assert ids[-1] == 9_223_372_036_853_999_999


def test_keys_stop_at_a_thousand_and_the_next_block_is_fresh():
    alloc = tp.IdAllocator(fixed_randbelow(5, 9))
    assert alloc.keys(10) == [f"5000{i:03d}" for i in range(10)]  # "5" + "000" + "000".."009"
    assert len(alloc.keys(1000)) == 990  # up to the end of the first thousand
    take(alloc, tp.IdAllocator.BLOCK - 1000)
    following = alloc.keys(1000)
    assert following[0] == "9000000" and len(following) == 1000
    assert alloc.blocks == 2


def test_one_process_never_reuses_a_prefix():
    alloc = tp.IdAllocator(fixed_randbelow(7, 7, 8))
    alloc.keys(1)
    alloc._next = tp.IdAllocator.BLOCK  # pylint: disable=protected-access  # block 7 used up
    assert alloc.keys(1) == ["8000000"]  # the already used 7 was drawn again and refused


def test_two_instances_with_distinct_prefixes_never_overlap():
    first, second = tp.IdAllocator(fixed_randbelow(1, 2)), tp.IdAllocator(fixed_randbelow(2, 3))
    a = take(first, 2 * tp.IdAllocator.BLOCK)  # blocks 1 then 2
    b = take(second, tp.IdAllocator.BLOCK // 2)  # block 2 as well: the collision case
    assert set(a[:tp.IdAllocator.BLOCK]).isdisjoint(b)  # block 1 vs block 2: disjoint
    assert not set(a[tp.IdAllocator.BLOCK:]).isdisjoint(b)  # same prefix -> overlap: why prefixes are random


def test_two_real_instances_draw_disjoint_ids():
    first, second = tp.IdAllocator(), tp.IdAllocator()
    a, b = set(take(first, 50_000)), set(take(second, 50_000))
    assert len(a) == len(b) == 50_000 and a.isdisjoint(b)


def test_collision_bound_matches_the_documented_figures():
    assert tp.collision_bound(1) == 0
    assert tp.collision_bound(1000) == pytest.approx(5.4e-8, rel=0.01)
    assert tp.collision_bound(100_000) == pytest.approx(5.4e-4, rel=0.01)


def test_two_producer_processes_produce_disjoint_unique_ids():
    runs = [run_script("--dry-run", "--count", "20000"), run_script("--dry-run", "--count", "20000")]
    id_sets = []
    for run in runs:
        assert run.returncode == 0, run.stderr
        ids = [json.loads(line)["transaction_id"] for line in run.stdout.splitlines()]
        assert len(ids) == len(set(ids)) == 20_000
        id_sets.append(set(ids))
    assert id_sets[0].isdisjoint(id_sets[1])


# ----------------------------------------------------------------------------- messages


def chunks(factory, count):
    """`count` messages (keys, values) across as many chunk() calls as needed."""
    keys, values = [], []
    while len(keys) < count:
        k, v = factory.chunk(count - len(keys))
        keys += k
        values += v
    return keys, values


def test_messages_have_the_seed_fields_in_order_and_consistent_values():
    factory = tp.MessageFactory()
    before = datetime.now(timezone.utc)
    keys, values = chunks(factory, 5000)
    after = datetime.now(timezone.utc)
    stores = {s["store_id"]: s for s in tp.DEFAULT_STORES}
    products = {p["product_name"]: p for p in tp.DEFAULT_PRODUCTS}
    for key, value in zip(keys, values):
        message = json.loads(value)
        assert list(message) == SEED_FIELDS
        assert key == str(message["transaction_id"])
        store = stores[message["store_id"]]
        assert (message["city"], message["latitude"], message["longitude"]) == (store["city"], store["latitude"], store["longitude"])
        assert message["brand"] == products[message["product_name"]]["brand"]
        assert 1 <= message["quantity"] <= 5 and isinstance(message["quantity"], int)
        assert 5.0 <= message["total_amount"] <= 499.99
        assert re.fullmatch(r"\d+\.\d\d", value.split('"total_amount": ')[1].split(",")[0])
        assert 1 <= message["customer_id"] <= 5000
        assert message["payment_type"] in ("CASH", "CARD")
        assert DATE_RE.match(message["transaction_date"])
        assert before - timedelta(microseconds=1) <= parse_utc(message["transaction_date"]) <= after
    assert len(set(keys)) == 5000


def test_message_text_uses_json_dumps_separators():
    values = tp.MessageFactory().chunk(20)[1]
    for value in values:
        message = json.loads(value)
        message["total_amount"] = "AMOUNT"
        expected = json.dumps(message).replace('"AMOUNT"', value.split('"total_amount": ')[1].split(",")[0])
        assert value == expected


def test_dates_are_utc_whatever_the_local_timezone():
    run = run_script("--dry-run", "--count", "3", env={"TZ": "Pacific/Kiritimati"})  # UTC+14
    assert run.returncode == 0, run.stderr
    now = datetime.now(timezone.utc)
    for line in run.stdout.splitlines():
        stamp = parse_utc(json.loads(line)["transaction_date"])
        assert abs((now - stamp).total_seconds()) < 30


def test_dates_follow_the_clock_across_a_second_boundary(monkeypatch):
    # Each clock read advances 0.4 s: groups of DATE_GROUP messages get increasing dates, and a
    # group read after the boundary carries the new second.
    ticks = iter(range(1_700_000_000_000_000_000, 1_800_000_000_000_000_000, 400_000_000))
    monkeypatch.setattr(tp.time, "time_ns", lambda: next(ticks))
    values = tp.MessageFactory().chunk(tp.DATE_GROUP * 4)[1]
    dates = [json.loads(v)["transaction_date"] for v in values]
    groups = [dates[i:i + tp.DATE_GROUP] for i in range(0, len(dates), tp.DATE_GROUP)]
    assert [g[0] for g in groups] == ["2023-11-14 22:13:20.000000", "2023-11-14 22:13:20.400000",
                                      "2023-11-14 22:13:20.800000", "2023-11-14 22:13:21.200000"]
    assert all(len(set(g)) == 1 for g in groups)


def test_draws_are_uniform_and_reproducible_with_a_seed():
    counts = Counter(json.loads(v)["quantity"] for v in chunks(tp.MessageFactory(seed=1), 1000)[1])
    big = Counter(json.loads(v)["store_id"] for v in chunks(tp.MessageFactory(seed=3), 60_000)[1])
    assert set(counts) == {1, 2, 3, 4, 5}
    expected = 60_000 / 7
    assert sum((c - expected) ** 2 / expected for c in big.values()) < 30  # chi-square, 6 dof: p ~ 4e-5

    def fields(seed):
        rows = [json.loads(v) for v in tp.MessageFactory(seed=seed).chunk(200)[1]]
        return [(r["store_id"], r["product_name"], r["quantity"], r["total_amount"], r["customer_id"], r["payment_type"])
                for r in rows]

    assert fields(42) == fields(42) != fields(43)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 100, 255, 256, 257, 495, 5000, 65536, 70000])
def test_picker_draws_every_item_uniformly(size):
    population = [f"item{i}" for i in range(size)]
    draws = 400 * size if size <= 5000 else 2 * size
    counts = Counter(tp.Picker(population, tp.random.Random(size)).draw(draws))
    assert sum(counts.values()) == draws and set(counts) <= set(population)
    if size <= 5000:
        expected = draws / size
        chi2 = sum((counts.get(p, 0) - expected) ** 2 / expected for p in population)
        assert chi2 < size + 6 * (2 * size) ** 0.5 + 10  # about 6 standard deviations over the mean


def test_picker_byte_map_drops_the_biased_top_bytes():
    table, keep = tp.Picker._byte_map(3)  # pylint: disable=protected-access
    assert table[254] == 254 % 3 and table[255] == 255 and keep == 255 / 256  # 255 = 3 * 85: one byte dropped
    table, keep = tp.Picker._byte_map(256)  # pylint: disable=protected-access
    assert table == bytes(range(256)) and keep == 1.0


def test_custom_referential_and_the_large_referential_path(tmp_path, monkeypatch):
    path = tmp_path / "ref.json"
    path.write_text(json.dumps({
        "stores": [{"store_id": 10, "city": 'Saint-"Quote" Émilion', "latitude": 44.9, "longitude": -0.15}],
        "products": [{"product_name": "Wine", "brand": "Château"}, {"product_name": "Cork", "brand": "B\\S"}],
    }), encoding="utf-8")
    stores, products = tp.load_referential(str(path))
    monkeypatch.setattr(tp, "MAX_PAIR_FRAGMENTS", 1)  # force separate store and product draws
    for value in tp.MessageFactory(stores, products).chunk(300)[1]:
        message = json.loads(value)
        assert message["city"] == 'Saint-"Quote" Émilion' and message["store_id"] == 10
        assert (message["product_name"], message["brand"]) in {("Wine", "Château"), ("Cork", "B\\S")}


def test_referential_keeps_the_seed_lists_it_does_not_replace(tmp_path):
    path = tmp_path / "ref.json"
    path.write_text(json.dumps({"products": [{"product_name": "Bike", "brand": "Velo"}]}))
    stores, products = tp.load_referential(str(path))
    assert len(stores) == 7 and products == [{"product_name": "Bike", "brand": "Velo"}]


@pytest.mark.parametrize("content, message", [
    ("{", "not valid JSON"),
    ('{"shops": []}', "'stores' and/or 'products'"),
    ('{"stores": []}', "non-empty list"),
    ('{"stores": [{"store_id": 1, "city": "X", "latitude": 1}]}', "missing longitude"),
    ('{"stores": [{"store_id": "1", "city": "X", "latitude": 1, "longitude": 2}]}', "store_id must be a integer"),
    ('{"products": [{"product_name": "X", "brand": "Y", "price": 3}]}', "unknown price"),
])
def test_bad_referential_files_are_refused(tmp_path, content, message):
    path = tmp_path / "ref.json"
    path.write_text(content)
    with pytest.raises(tp.ConfigError, match=re.escape(message)):
        tp.load_referential(str(path))


# ----------------------------------------------------------------------------- configuration


def write_config(tmp_path, data, mode=0o600):
    path = tmp_path / "producer.json"
    path.write_text(json.dumps(data))
    os.chmod(path, mode)
    return str(path)


def test_precedence_is_defaults_then_file_then_env_then_cli(tmp_path):
    config = write_config(tmp_path, {"brokers": "file:9092", "topic": "file-topic", "rate": 10, "count": 5,
                                     "flush-timeout": 7, "create_topic": True})
    env = {"TX_PRODUCER_CONFIG": config, "TX_PRODUCER_TOPIC": "env-topic", "TX_PRODUCER_RATE": "20",
           "TX_PRODUCER_CREATE_TOPIC": "yes"}
    settings, _client, sources = tp.load_config(["--rate", "30", "--no-create-topic"], env)
    assert settings["brokers"] == "file:9092" and sources["brokers"] == "file"
    assert settings["topic"] == "env-topic" and sources["topic"] == "env"
    assert settings["rate"] == 30.0 and sources["rate"] == "cli"
    assert settings["count"] == 5 and settings["flush_timeout"] == 7.0
    assert settings["create_topic"] is False and sources["create_topic"] == "cli"
    assert settings["duration"] == 0.0 and sources["duration"] == "default"


def test_cli_config_option_wins_over_the_env_config_path(tmp_path):
    first = write_config(tmp_path, {"topic": "from-env-file"})
    second = tmp_path / "other.json"
    second.write_text('{"topic": "from-cli-file"}')
    settings = tp.load_config(["--config", str(second)], {"TX_PRODUCER_CONFIG": first})[0]
    assert settings["topic"] == "from-cli-file"


@pytest.mark.parametrize("argv, env, message", [
    (["--rate", "-1"], {}, "must be >= 0"),
    (["--count", "1.5"], {}, "expected an integer"),
    ([], {"TX_PRODUCER_CREATE_TOPIC": "maybe"}, "expected true or false"),
    (["--compression", "brotli"], {}, "must be one of"),
    (["--sasl-username", "u"], {}, "need security_protocol SASL_PLAINTEXT or SASL_SSL"),
    (["--security-protocol", "sasl_ssl"], {}, "needs sasl_username and sasl_password"),
    (["--print-keys"], {}, "only applies with --dry-run"),
    (["--ssl-ca-location", "/nonexistent/ca.pem"], {}, "does not exist"),
])
def test_bad_settings_are_refused(argv, env, message):
    with pytest.raises(tp.ConfigError, match=re.escape(message)):
        tp.load_config(argv, env)


def test_unknown_file_keys_and_reserved_client_properties_are_refused(tmp_path):
    with pytest.raises(tp.ConfigError, match="unknown setting 'brokerz'"):
        tp.load_config(["--config", write_config(tmp_path, {"brokerz": "x"})], {})
    with pytest.raises(tp.ConfigError, match="'acks' is set by the program"):
        tp.load_config(["--config", write_config(tmp_path, {"librdkafka": {"acks": 1}})], {})
    client = tp.load_config(["--config", write_config(tmp_path, {"librdkafka": {"message.timeout.ms": 60000}})], {})[1]
    assert client == {"message.timeout.ms": 60000}


def test_security_settings_map_to_client_properties(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    config = write_config(tmp_path, {"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
                                     "sasl.username": "alice", "sasl.password": "s3cret-from-file",
                                     "ssl.ca.location": str(ca)})
    settings, extra, _sources = tp.load_config(["--config", config], {})
    conf = tp.client_config(settings, extra)
    assert conf["security.protocol"] == "SASL_SSL" and conf["sasl.mechanism"] == "SCRAM-SHA-512"
    assert conf["sasl.username"] == "alice" and conf["sasl.password"] == "s3cret-from-file"
    assert conf["ssl.ca.location"] == str(ca)
    assert conf["enable.idempotence"] is True and conf["acks"] == "all"


def test_password_is_refused_on_the_command_line_without_echoing_it():
    for argv in (["--sasl-password", "hunter2"], ["--sasl_password=hunter2"]):
        with pytest.raises(tp.ConfigError) as info:
            tp.load_config(argv, {})
        assert "hunter2" not in str(info.value) and "TX_PRODUCER_SASL_PASSWORD" in str(info.value)


def test_password_from_env_is_never_printed():
    secret = "pa55-never-shown"
    run = run_script("--brokers", "127.0.0.1:1", "--metadata-timeout", "1", "--security-protocol", "SASL_PLAINTEXT",
                     "--sasl-mechanism", "PLAIN", "--sasl-username", "bob",
                     env={"TX_PRODUCER_SASL_PASSWORD": secret})
    assert run.returncode == tp.EXIT_CONFIG
    assert "sasl_password=<set>" in run.stderr and "sasl_username=bob" in run.stderr
    assert secret not in run.stdout + run.stderr


def test_world_readable_config_with_a_password_draws_a_warning(tmp_path, capsys):
    config = write_config(tmp_path, {"security_protocol": "SASL_PLAINTEXT", "sasl_username": "u",
                                     "sasl_password": "pw-in-file"}, mode=0o644)
    tp.load_config(["--config", config], {})
    err = capsys.readouterr().err
    assert "chmod 600" in err and "pw-in-file" not in err


# ----------------------------------------------------------------------------- dry run and main


def test_dry_run_prints_count_lines_of_json():
    run = run_script("--dry-run", "--count", "2500")
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == 2500
    assert all(list(json.loads(line)) == SEED_FIELDS for line in lines)


def test_dry_run_defaults_to_ten_lines_and_print_keys_adds_the_key():
    assert len(run_script("--dry-run").stdout.splitlines()) == tp.DRY_RUN_DEFAULT_COUNT
    run = run_script("--dry-run", "-n", "5", "--print-keys")
    for line in run.stdout.splitlines():
        key, value = line.split("\t")
        assert key == str(json.loads(value)["transaction_id"])


def test_dry_run_with_a_duration_and_a_closed_pipe():
    proc = subprocess.Popen([sys.executable, str(SCRIPT), "--dry-run", "--duration", "30"],  # pylint: disable=consider-using-with
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline()
    proc.stdout.close()  # like `| head -1`
    assert proc.wait(timeout=30) == 0
    assert json.loads(first)["transaction_id"] > 0
    assert b"Traceback" not in proc.stderr.read()
    proc.stderr.close()


def test_dry_run_stops_on_sigterm():
    proc = subprocess.Popen([sys.executable, str(SCRIPT), "--dry-run", "--duration", "60"],  # pylint: disable=consider-using-with
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        proc.wait(timeout=1.5)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0
    assert b"SIGTERM received" in proc.stderr.read()
    proc.stderr.close()


def test_summary_line_is_machine_readable():
    line = tp.format_summary({"produced": 10, "delivered": 8, "failed": 1, "unconfirmed": 1, "elapsed": 2.0,
                              "flush": 0.5, "rate": 5.0, "stopped_by": "SIGTERM", "errors": {"_MSG_TIMED_OUT": 1},
                              "fatal": None, "id_blocks": 1})
    fields = dict(part.split("=", 1) for part in line.split()[1:] if "=" in part)
    assert fields["delivered"] == "8" and fields["stopped_by"] == "SIGTERM" and fields["errors"] == "_MSG_TIMED_OUT:1"


# ----------------------------------------------------------------------------- rate control


def test_token_bucket_holds_the_rate_despite_sleep_overshoot():
    rate, now = 20_000.0, 1000.0
    bucket = tp.TokenBucket(rate, now)
    sent, rnd = 0, tp.random.Random(7)
    while now < 1030.0:
        got = bucket.take(1000, now)
        sent += got
        now += max(bucket.wait(), 0.001) + rnd.uniform(0, 0.004) if not got else rnd.uniform(0.00005, 0.0005)
    assert abs(sent / 30.0 - rate) / rate < 0.01


def test_token_bucket_bounds_the_catch_up_after_a_stall():
    bucket = tp.TokenBucket(1000.0, 0.0)
    assert bucket.take(10_000, 60.0) == 250  # a minute of stall gives a quarter second of burst, not 60,000
    assert bucket.take(10_000, 60.0) == 0 and bucket.wait() == pytest.approx(0.001)


def test_a_second_signal_abandons_the_flush():
    stop = tp.Stop()
    stop._handle(signal.SIGTERM, None)  # pylint: disable=protected-access
    assert stop.requested == "SIGTERM" and not stop.abandon
    stop._handle(signal.SIGINT, None)  # pylint: disable=protected-access
    assert stop.abandon and stop.requested == "SIGTERM"


def test_linger_favours_throughput_at_full_speed_and_latency_at_a_rate():
    assert tp.client_config(tp.load_config(["--rate", "0"], {})[0])["linger.ms"] == tp.LINGER_MS_FULL_SPEED
    assert tp.client_config(tp.load_config(["--rate", "500"], {})[0])["linger.ms"] == tp.LINGER_MS_RATE
    assert tp.client_config(tp.load_config(["--rate", "0", "--linger-ms", "7"], {})[0])["linger.ms"] == 7.0


class FakeProducer:
    """produce() raises the exception scripted for a value (once), else records the value."""

    def __init__(self, script):
        self.script = dict(script)
        self.sent = []
        self.polls = 0

    def produce(self, topic, value, key):
        assert topic == "t" and key == value.upper()
        error = self.script.pop(value, None)
        if error is not None:
            raise error
        self.sent.append(value)

    def poll(self, _timeout):
        self.polls += 1


def fake_sender(script):
    settings = tp.load_config(["--topic", "t"], {})[0]
    sender = tp.Sender(settings, {}, tp.MessageFactory(), tp.Stop())
    sender.producer = FakeProducer(script)
    return sender


VALUES = ["a", "b", "c", "d", "e"]
KEYS = [v.upper() for v in VALUES]


def test_produce_waits_out_a_full_queue_and_keeps_the_order():
    sender = fake_sender({"c": BufferError("Local: Queue full")})
    assert sender._produce(KEYS, VALUES) == 5  # pylint: disable=protected-access
    assert sender.producer.sent == VALUES and sender.producer.polls == 1


def test_produce_counts_a_refused_message_as_failed_and_goes_on():
    from confluent_kafka import KafkaError, KafkaException  # pylint: disable=import-outside-toplevel

    sender = fake_sender({"b": KafkaException(KafkaError(KafkaError.MSG_SIZE_TOO_LARGE))})
    assert sender._produce(KEYS, VALUES) == 5  # pylint: disable=protected-access
    assert sender.producer.sent == ["a", "c", "d", "e"]
    assert sender.counters.failed == 1 and sender.counters.errors == {"MSG_SIZE_TOO_LARGE": 1}


def test_produce_drops_the_rest_of_a_chunk_when_stopping_on_a_full_queue():
    sender = fake_sender({"d": BufferError("Local: Queue full")})
    sender.stop.requested = "SIGTERM"
    assert sender._produce(KEYS, VALUES) == 3  # pylint: disable=protected-access  # a, b, c handed over
    assert sender.producer.sent == ["a", "b", "c"] and sender.counters.failed == 0


class MetadataProducer:
    """A Producer whose list_topics() answers the topic the first time and, if told, fails after."""

    def __init__(self, conf, fail_after_first=False):
        self.conf = conf
        self.requests = []
        self.fail_after_first = fail_after_first

    def list_topics(self, topic, timeout):
        from confluent_kafka import KafkaError, KafkaException  # pylint: disable=import-outside-toplevel

        self.requests.append((topic, timeout))
        if self.fail_after_first and len(self.requests) > 1:
            raise KafkaException(KafkaError(KafkaError._TRANSPORT))  # pylint: disable=protected-access

        class Metadata:  # pylint: disable=too-few-public-methods
            topics = {topic: type("TopicMetadata", (), {"error": None})()}

        return Metadata()


@pytest.mark.parametrize("fail_after_first", [False, True])
def test_connect_asks_for_metadata_again_so_the_producer_id_comes_at_once(monkeypatch, fail_after_first):
    # librdkafka >= 2.10 may otherwise wait 500 ms for its producer id (see Sender._nudge_idempotence);
    # the second request is an optimisation, so its failure must not fail the start.
    import confluent_kafka  # pylint: disable=import-outside-toplevel

    made = []
    monkeypatch.setattr(confluent_kafka, "Producer",
                        lambda conf: made.append(MetadataProducer(conf, fail_after_first)) or made[-1])
    settings = tp.load_config(["--topic", "t"], {})[0]
    sender = tp.Sender(settings, {}, tp.MessageFactory(), tp.Stop())
    sender.connect()
    assert made[0].conf["enable.idempotence"] is True
    assert [topic for topic, _timeout in made[0].requests] == ["t", "t"]
