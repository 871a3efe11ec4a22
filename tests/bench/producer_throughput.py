"""Throughput of files/producer/tx_producer.py against kcat and the seed's loop, and its rate mode.

    python -m tests.bench.producer_throughput --bootstrap 127.0.0.1:39092

After an untimed warm-up (--warmup messages: a fresh broker's JIT slows the first run), one run
of each (--repeat for more rounds), on fresh single-partition topics of the broker given
(deleted afterwards unless --keep-topics):

(a) `kcat -P -l -K '\\t'` sending a file of the same lines (key TAB value, written by
    `tx_producer.py --dry-run --print-keys`), with the producer's client settings at --rate 0
    (idempotence, acks=all, lz4, linger, batch and queue sizes: from its client_config()). kcat
    runs on the confluent-kafka wheel's librdkafka through LD_LIBRARY_PATH when that works (else
    Debian's); a second kcat row shows the other library for reference. With librdkafka >= 2.10
    an idempotent kcat often waits 500 ms for its producer id before sending anything (the
    bootstrap connection is dropped as the id is asked for); tx_producer.py avoids that wait
    with one more metadata request (Sender._nudge_idempotence), kcat cannot.
(b) tx_producer.py --rate 0 (as fast as possible);
(c) seed_producer.py, the seed's loop (stdout to /dev/null);
then tx_producer.py in rate mode (default 20,000 msg/s for 30 s).

msg/s is messages / wall-clock seconds of the whole process (start-up, connection, production
and the final flush, every message acknowledged), the same measure for the three tools. The
message count in each topic is checked afterwards. Peak RSS and CPU seconds (user + system) are
the child's own (wait4 rusage); CPU seconds vary less than wall time on a shared machine.
Prints a table and ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka import KafkaException, TopicPartition, libversion
from confluent_kafka import Consumer
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from ._common import machine, print_table

ROOT = Path(__file__).resolve().parents[2]
PRODUCER = ROOT / "files" / "producer" / "tx_producer.py"
SEED = ROOT / "files" / "producer" / "seed_producer.py"


def kcat_settings() -> dict[str, str]:
    """The client settings of tx_producer.py at --rate 0 (its client_config()), as kcat -X options."""
    spec = importlib.util.spec_from_file_location("tx_producer_for_bench", PRODUCER)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    settings = module.load_config(["--rate", "0"], {})[0]
    skip = {"bootstrap.servers", "client.id", "delivery.report.only.error", "security.protocol"}
    return {k: str(v).lower() if isinstance(v, bool) else f"{v:g}" if isinstance(v, float) else str(v)
            for k, v in module.client_config(settings).items() if k not in skip}


@dataclass
class Run:
    name: str
    messages: int
    seconds: float
    code: int
    max_rss_kb: int
    cpu: float = 0.0  # user + system seconds of the process (not of the broker)
    in_topic: int | None = None
    note: str = ""

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds > 0 else 0.0


def timed(cmd: list[str], env: dict[str, str] | None = None, stdout=subprocess.DEVNULL,
          stderr=subprocess.DEVNULL) -> tuple[float, int, int, float]:
    """Run `cmd`; return (wall seconds, exit code, peak RSS in kB, CPU seconds), of that child alone."""
    began = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL)  # pylint: disable=consider-using-with
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - began
    proc.returncode = os.waitstatus_to_exitcode(status)
    return seconds, proc.returncode, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


def topic_count(bootstrap: str, topic: str) -> int:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-{uuid.uuid4().hex}", "log_level": 0})
    try:
        parts = consumer.list_topics(topic, timeout=30).topics[topic].partitions
        return sum(consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1] for p in parts)
    finally:
        consumer.close()


def kcat_library_dir(workdir: Path) -> Path | None:
    """A directory whose librdkafka.so.1 is the confluent-kafka wheel's (its file name is hashed)."""
    import confluent_kafka  # pylint: disable=import-outside-toplevel

    libs = Path(confluent_kafka.__file__).resolve().parent.parent / "confluent_kafka.libs"
    found = sorted(libs.glob("librdkafka*.so*"))
    if not found:
        return None
    target = workdir / "rdkafka-wheel"
    target.mkdir(exist_ok=True)
    (target / "librdkafka.so.1").symlink_to(found[0])
    return target


def kcat_version(kcat: str, libdir: Path | None) -> str:
    env = dict(os.environ)
    if libdir:
        env["LD_LIBRARY_PATH"] = str(libdir)
    try:
        out = subprocess.run([kcat, "-V"], capture_output=True, text=True, env=env, timeout=30, check=False)
    except OSError:
        return ""
    match = re.search(r"librdkafka ([0-9][^ ]*)", out.stdout + out.stderr)
    return match.group(1) if match else ""


def summary_fields(text: str) -> dict[str, str]:
    lines = [line for line in text.splitlines() if line.startswith("summary:")]
    return dict(p.split("=", 1) for p in lines[-1].split()[1:] if "=" in p) if lines else {}


class Bench:
    """The runs, each on a fresh topic; the topics are deleted at the end unless kept."""

    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.admin = AdminClient({"bootstrap.servers": args.bootstrap, "log_level": 0})
        self.run_id = uuid.uuid4().hex[:8]
        self.topics: list[str] = []
        self.lines = workdir / "lines.tsv"
        self.kcat = ""
        self.kcat_variants: list[tuple[str, Path | None, str]] = []

    def topic(self, name: str) -> str:
        topic = f"bench-{self.run_id}-{name}-{len(self.topics)}"
        self.admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])[topic].result(timeout=60)
        self.topics.append(topic)
        return topic

    def delete_topics(self) -> None:
        if not self.topics:
            return
        try:
            for future in self.admin.delete_topics(self.topics, operation_timeout=30).values():
                future.result(timeout=60)
        except KafkaException as exc:
            print(f"could not delete the benchmark topics: {exc}", file=sys.stderr)

    def prepare(self) -> None:
        with open(self.lines, "w", encoding="utf-8") as out:
            subprocess.run([sys.executable, str(PRODUCER), "--dry-run", "--print-keys", "--count", str(self.args.count)],
                           stdout=out, check=True)
        kcat = shutil.which("kcat") or shutil.which("kafkacat")
        if not kcat:
            print("kcat not found: no kcat row (apt-get install kcat)")
            return
        self.kcat = kcat
        wheel_dir = kcat_library_dir(self.workdir)
        via_wheel = kcat_version(kcat, wheel_dir) if wheel_dir else ""
        system = kcat_version(kcat, None)
        if via_wheel == libversion()[0]:
            self.kcat_variants.append(("kcat -P", wheel_dir, f"librdkafka {via_wheel} (confluent-kafka wheel, LD_LIBRARY_PATH)"))
            self.kcat_variants.append(("kcat -P (other lib)", None, f"librdkafka {system} (Debian's), for reference"))
        else:
            self.kcat_variants.append(("kcat -P", None, f"librdkafka {system} (Debian's: the wheel's library did not load)"))

    def warm_up(self) -> None:
        """Untimed messages first: a freshly started broker's JIT would slow whichever run comes first."""
        if self.args.warmup:
            self.producer(self.args.warmup)

    def kcat_run(self, name: str, libdir: Path | None, note: str) -> Run:
        topic = self.topic("kcat")
        env = dict(os.environ)
        if libdir:
            env["LD_LIBRARY_PATH"] = str(libdir)
        cmd = [self.kcat, "-P", "-l", "-K", "\t", "-b", self.args.bootstrap, "-t", topic]
        for prop, value in kcat_settings().items():
            cmd += ["-X", f"{prop}={value}"]
        seconds, code, rss, cpu = timed([*cmd, str(self.lines)], env=env)
        return Run(name, self.args.count, seconds, code, rss, cpu, topic_count(self.args.bootstrap, topic), note)

    def producer(self, count: int, extra: tuple[str, ...] = ("--rate", "0")) -> tuple[Run, dict[str, str]]:
        topic = self.topic("producer")
        out_path = self.workdir / "producer.out"
        with open(out_path, "w", encoding="utf-8") as out:
            cmd = [sys.executable, str(PRODUCER), "--brokers", self.args.bootstrap, "--topic", topic,
                   "--count", str(count), "--progress-interval", "0", *extra]
            seconds, code, rss, cpu = timed(cmd, stdout=out)
        fields = summary_fields(out_path.read_text())
        run = Run("tx_producer.py " + " ".join(extra), count, seconds, code, rss, cpu, topic_count(self.args.bootstrap, topic),
                  f"own measure (production phase): {fields.get('rate', '?')} msg/s")
        return run, fields

    def seed(self) -> Run:
        topic = self.topic("seed")
        seconds, code, rss, cpu = timed([sys.executable, str(SEED), "--brokers", self.args.bootstrap, "--topic", topic,
                                         "--count", str(self.args.count)])
        return Run("seed loop (seed_producer.py)", self.args.count, seconds, code, rss, cpu, topic_count(self.args.bootstrap, topic),
                   "callback print per message, flush per 10,000")


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.producer_throughput", description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True, help="host:port of the broker (e.g. the lab's 127.0.0.1:39092)")
    parser.add_argument("--count", type=int, default=500_000, help="messages per full-speed run (default 500000)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of the full-speed runs; ratios use medians (default 1)")
    parser.add_argument("--warmup", type=int, default=200_000, help="untimed messages sent first (default 200000; 0: none)")
    parser.add_argument("--rate", type=float, default=20_000, help="target of the rate-mode run (default 20000 msg/s)")
    parser.add_argument("--rate-duration", type=float, default=30, help="seconds of the rate-mode run (default 30; 0 skips it)")
    parser.add_argument("--keep-topics", action="store_true", help="do not delete the benchmark topics")
    args = parser.parse_args(argv)

    try:
        AdminClient({"bootstrap.servers": args.bootstrap, "log_level": 0}).list_topics(timeout=10)
    except KafkaException as exc:
        print(f"error: no broker at {args.bootstrap}: {exc}", file=sys.stderr)
        return 2

    print(f"producer throughput, {args.count:,} messages per run, broker {args.bootstrap}; {machine()}")
    workdir = Path(tempfile.mkdtemp(prefix="bench-producer-"))
    bench = Bench(args, workdir)
    try:
        bench.prepare()
        bench.warm_up()
        runs: list[tuple[int, Run]] = []
        for round_no in range(1, args.repeat + 1):
            for name, libdir, note in bench.kcat_variants:
                runs.append((round_no, bench.kcat_run(name, libdir, note)))
            runs.append((round_no, bench.producer(args.count)[0]))
            runs.append((round_no, bench.seed()))

        print()
        print_table(["#", "run", "messages", "seconds", "msg/s", "CPU s", "msg/CPU-s", "exit", "peak RSS MB", "in topic", "notes"],
                    [[n, r.name, f"{r.messages:,}", f"{r.seconds:.2f}", f"{r.rate:,.0f}", f"{r.cpu:.2f}",
                      f"{r.messages / r.cpu:,.0f}" if r.cpu else "-", r.code, f"{r.max_rss_kb / 1024:.0f}",
                      f"{r.in_topic:,}" if r.in_topic is not None else "-", r.note] for n, r in runs])
        print()

        def rate_of(name: str) -> float:
            return median([r.rate for _round, r in runs if r.name == name])

        producer_runs = [r for _round, r in runs if r.name.startswith("tx_producer.py")]
        producer_rate, seed_rate = rate_of(producer_runs[0].name), rate_of("seed loop (seed_producer.py)")
        which = "median msg/s" if args.repeat > 1 else "msg/s"
        for index, (name, _libdir, note) in enumerate(bench.kcat_variants):
            label = "producer/kcat" if index == 0 else f"producer/{name}"
            target = "target >= 0.5; " if index == 0 else ""
            print(f"{label} = {producer_rate / rate_of(name):.2f}   ({target}{which}; kcat on {note})")
        print(f"producer/seed = {producer_rate / seed_rate:.1f}   (target >= 5; {which})")
        producer_cpu = median([r.cpu for r in producer_runs])
        seed_cpu = median([r.cpu for _round, r in runs if r.name.startswith("seed loop")])
        print(f"CPU seconds of the process for the same {args.count:,} messages, seed/producer = {seed_cpu / producer_cpu:.1f} "
              "(the broker's CPU is not counted; on a busy machine this varies less than msg/s)")
        print(f"peak RSS of tx_producer.py at full rate: {max(r.max_rss_kb for r in producer_runs) / 1024:.0f} MB "
              "(bounded: queue.buffering.max.messages=100000, queue.buffering.max.kbytes=131072)")

        if args.rate_duration > 0:
            run, fields = bench.producer(0, ("--rate", f"{args.rate:g}", "--duration", f"{args.rate_duration:g}"))
            produced, elapsed = int(fields.get("produced", 0)), float(fields.get("elapsed", "0s").rstrip("s") or 0)
            achieved = produced / elapsed if elapsed else 0.0
            deviation = (achieved - args.rate) / args.rate * 100
            print(f"rate mode: target {args.rate:,.0f} msg/s for {args.rate_duration:g} s: achieved {achieved:,.0f} msg/s "
                  f"({produced:,} messages in {elapsed:.3f} s), deviation {deviation:+.2f}% (target within ±3%); "
                  f"exit {run.code}, in topic {run.in_topic:,}, peak RSS {run.max_rss_kb / 1024:.0f} MB")
        print(f"machine at the end: {machine()}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if not args.keep_topics:
            bench.delete_topics()
    return 0


if __name__ == "__main__":
    sys.exit(main())
