"""``python -m tests.lab.double``: run the SingleStore test double in the foreground (logs to stderr)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
import time
from pathlib import Path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tests.lab.double", description=__doc__)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default %(default)s)")
    p.add_argument("--port", type=int, default=33307, help="port to listen on (default %(default)s)")
    p.add_argument("--mariadb-host", default="127.0.0.1")
    p.add_argument("--mariadb-port", type=int, default=33306)
    p.add_argument("--admin-user", default="root", help="MariaDB account the double uses for its own look-ups")
    p.add_argument("--secrets-file", required=True, type=Path,
                   help='JSON file holding {"mariadb_root_password": ...} (the admin password)')
    p.add_argument("--state-dir", type=Path, default=None,
                   help="where the double keeps what it records (catalog.json); memory only if omitted")
    p.add_argument("--leaf-host", default="127.0.0.1", help="HOST reported by DISTRIBUTED_PARTITIONS")
    p.add_argument("--leaf-port", type=int, default=3307, help="PORT reported by DISTRIBUTED_PARTITIONS")
    p.add_argument("--forward-set-time-zone", action="store_true",
                   help="send SET time_zone to MariaDB (default: accept and ignore it, as SingleStore does)")
    p.add_argument("--tls-cert", help="PEM certificate: offer TLS to clients (then MariaDB is reached over TLS too)")
    p.add_argument("--tls-key", help="PEM private key for --tls-cert")
    p.add_argument("--memsql-version", default=None,
                   help="what @@memsql_version reports (default: the double's, 8.9.24); for testing version gates")
    p.add_argument("--log-level", default="INFO", help="DEBUG logs every statement (default %(default)s)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr, level=getattr(logging, args.log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    log = logging.getLogger("double")
    logging.getLogger("mysql_mimic").setLevel(logging.WARNING)
    # asyncio warns "returning true from eof_received() has no effect when using ssl" for every TLS client
    logging.getLogger("asyncio").setLevel(logging.ERROR)

    from .rewrite import SINGLESTORE_VARIABLES
    from .server import Config, DoubleServer

    if args.memsql_version:
        SINGLESTORE_VARIABLES["memsql_version"] = args.memsql_version

    try:
        secrets = json.loads(args.secrets_file.read_text())
        password = secrets["mariadb_root_password"]
    except (OSError, ValueError, KeyError) as e:
        log.error("cannot read the admin password from %s: %s", args.secrets_file, e)
        return 2
    if args.state_dir is not None:
        args.state_dir.mkdir(parents=True, exist_ok=True)
    config = Config(
        host=args.host, port=args.port, mariadb_host=args.mariadb_host, mariadb_port=args.mariadb_port,
        admin_user=args.admin_user, admin_password=password, state_dir=args.state_dir,
        leaf_host=args.leaf_host, leaf_port=args.leaf_port, forward_set_time_zone=args.forward_set_time_zone,
        tls_cert=args.tls_cert, tls_key=args.tls_key,
    )
    server = DoubleServer(config)

    deadline = time.monotonic() + 30
    while True:
        try:
            server.prepare()
            break
        except Exception as e:  # noqa: BLE001 - MariaDB may still be starting
            if time.monotonic() > deadline:
                log.error("cannot use MariaDB at %s:%s as %s: %s", args.mariadb_host, args.mariadb_port,
                          args.admin_user, e)
                return 1
            time.sleep(0.5)

    from .pipelines import install as install_pipelines

    try:
        engine = install_pipelines(server)
    except Exception as e:  # noqa: BLE001 - reported, and the double does not start half-working
        log.error("cannot set up pipelines in MariaDB: %s", e)
        return 1

    async def run() -> None:
        await server.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        log.info("SingleStore test double listening on %s:%s, forwarding to MariaDB %s:%s",
                 args.host, args.port, args.mariadb_host, args.mariadb_port)
        serving = asyncio.create_task(server.serve_forever())
        await stop.wait()
        log.info("stopping")
        engine.shutdown()
        server.close()
        serving.cancel()
        try:
            await serving
        except (asyncio.CancelledError, Exception):  # noqa: BLE001
            pass

    try:
        asyncio.run(run())
    except OSError as e:
        log.error("cannot listen on %s:%s: %s", args.host, args.port, e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
