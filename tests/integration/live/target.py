"""The live targets of `make test-live`, read from the environment only (never from a command line).

    SINGLESTORE_HOST, SINGLESTORE_PORT (3306), SINGLESTORE_USER (admin), SINGLESTORE_PASSWORD,
    SINGLESTORE_SSL_MODE (preferred), SINGLESTORE_CA_CERT   a real SingleStore (singlestoredb-dev, Helios)
    KAFKA_BOOTSTRAP_SERVERS                                  a Kafka that this machine *and* SingleStore reach
    GRAFANA_URL, GRAFANA_ADMIN_USER (admin), GRAFANA_ADMIN_PASSWORD   a Grafana set up by the grafana role

Shared by `tests/conftest.py` (the `--live` switch), `tests/integration/live/` and `scripts/run_live.py`,
so the three read the variables the same way. Objects a live run creates are named
``tst_live_<run id>...``: a prefix no user object is expected to carry, and a random part, so a run
only ever drops what it created.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import ssl
from dataclasses import dataclass
from typing import Any, Mapping

# The module layer's ssl_mode choices (plugins/module_utils/_connection.py), with the same meaning.
SSL_MODES = ("disabled", "preferred", "required", "verify_ca", "verify_identity")
# Environment variables whose values must never appear in anything a live run prints.
# LIVE_READER_PASSWORD: the password a live site.yml run gives the reader it creates.
SECRET_VARS = ("SINGLESTORE_PASSWORD", "GRAFANA_ADMIN_PASSWORD", "GRAFANA_DATASOURCE_PASSWORD", "LIVE_READER_PASSWORD")
# Shorter secrets are not looked for in output: a password like "root" would match innocent text.
MIN_WATCHED = 8
PREFIX = "tst_live_"
RUN_ID = re.compile(r"^r[0-9a-f]{8}$")


class LiveConfigError(ValueError):
    """A live variable that is set but unusable; the message names the variable and what it accepts."""


@dataclass(frozen=True)
class SingleStoreTarget:
    host: str
    port: int
    user: str
    password: str = ""
    ssl_mode: str = "preferred"
    ca_cert: str = ""

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def loopback(self) -> bool:
        """True when the server is addressed on this machine (which says nothing of its network namespace)."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def conn_params(self) -> dict[str, Any]:
        """``pymysql.connect()`` keyword arguments, TLS as PyMySQL's ``ssl`` dict.

        The dict form (not an SSLContext) is kept so the integration helpers can translate it back
        into the modules' ``ssl_mode``/``ca_cert`` (tests/integration/modules/_ansible.py login_options).
        """
        params: dict[str, Any] = {"host": self.host, "port": self.port, "user": self.user, "password": self.password}
        if self.ssl_mode == "disabled":
            params["ssl_disabled"] = True
        elif self.ssl_mode == "required":
            params["ssl"] = {"check_hostname": False, "verify_mode": ssl.CERT_NONE}
        elif self.ssl_mode in ("verify_ca", "verify_identity"):
            params["ssl"] = {"ca": self.ca_cert, "check_hostname": self.ssl_mode == "verify_identity"}
        return params

    def login_options(self) -> dict[str, Any]:
        """The modules' connection options (module_defaults of the SingleStore action group)."""
        opts: dict[str, Any] = {"login_host": self.host, "login_port": self.port, "login_user": self.user,
                                "login_password": self.password, "ssl_mode": self.ssl_mode}
        if self.ca_cert:
            opts["ca_cert"] = self.ca_cert
        return opts


def singlestore_target(environ: Mapping[str, str] | None = None) -> SingleStoreTarget | None:
    """The SingleStore named by SINGLESTORE_*, or None when SINGLESTORE_HOST is not set."""
    env = os.environ if environ is None else environ
    host = env.get("SINGLESTORE_HOST", "").strip()
    if not host:
        return None
    raw_port = env.get("SINGLESTORE_PORT", "").strip() or "3306"
    if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
        raise LiveConfigError(f"SINGLESTORE_PORT={raw_port!r} is not a TCP port (1-65535)")
    mode = env.get("SINGLESTORE_SSL_MODE", "").strip() or "preferred"
    if mode not in SSL_MODES:
        raise LiveConfigError(f"SINGLESTORE_SSL_MODE={mode!r} is not one of {', '.join(SSL_MODES)}")
    ca_cert = env.get("SINGLESTORE_CA_CERT", "").strip()
    if ca_cert and not os.path.isfile(ca_cert):
        raise LiveConfigError(f"SINGLESTORE_CA_CERT={ca_cert!r} is not a file")
    if mode in ("verify_ca", "verify_identity") and not ca_cert:
        # PyMySQL's ssl dict cannot verify against the system store; Helios publishes its bundle anyway.
        raise LiveConfigError(f"SINGLESTORE_SSL_MODE={mode} needs SINGLESTORE_CA_CERT (Helios: singlestore_bundle.pem "
                              "from the Cloud Portal; a public CA: /etc/ssl/certs/ca-certificates.crt)")
    if mode == "disabled" and ca_cert:
        raise LiveConfigError("SINGLESTORE_CA_CERT is set but SINGLESTORE_SSL_MODE is disabled")
    return SingleStoreTarget(host=host, port=int(raw_port), user=env.get("SINGLESTORE_USER", "").strip() or "admin",
                             password=env.get("SINGLESTORE_PASSWORD", ""), ssl_mode=mode, ca_cert=ca_cert)


def kafka_bootstrap(environ: Mapping[str, str] | None = None) -> str | None:
    """KAFKA_BOOTSTRAP_SERVERS (host:port[,host:port...]) or None."""
    env = os.environ if environ is None else environ
    value = ",".join(p.strip() for p in env.get("KAFKA_BOOTSTRAP_SERVERS", "").split(",") if p.strip())
    for part in value.split(",") if value else ():
        host, _, port = part.rpartition(":")
        if not host or not port.isdigit():
            raise LiveConfigError(f"KAFKA_BOOTSTRAP_SERVERS: {part!r} is not host:port")
    return value or None


def grafana_url(environ: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if environ is None else environ
    url = env.get("GRAFANA_URL", "").strip()
    if url and not re.match(r"^https?://[^/\s]+", url):
        raise LiveConfigError(f"GRAFANA_URL={url!r} is not an http(s) URL")
    return url or None


def secret_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """The secrets set in the environment that output is checked for (longest first, so a mask covers whole values)."""
    env = os.environ if environ is None else environ
    return sorted({env[v] for v in SECRET_VARS if len(env.get(v, "")) >= MIN_WATCHED}, key=len, reverse=True)


def unwatched_secrets(environ: Mapping[str, str] | None = None) -> list[str]:
    """Names of the secret variables set but too short to be looked for in output."""
    env = os.environ if environ is None else environ
    return [v for v in SECRET_VARS if 0 < len(env.get(v, "")) < MIN_WATCHED]


def new_run_id() -> str:
    return "r" + secrets.token_hex(4)


def run_names(run_id: str) -> dict[str, str]:
    """Names of what one live site.yml run creates; inventories/live/group_vars/all/stack.yml builds the same."""
    if not RUN_ID.match(run_id):
        raise LiveConfigError(f"LIVE_RUN_ID={run_id!r} is not r<8 hex digits>")
    base = PREFIX + run_id
    return {"database": base, "topic": base + "_retails", "reader": base + "_reader", "probe": base + "_probe"}
