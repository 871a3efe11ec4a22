# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Kafka connection layer shared by the kafka_* modules (options documented in doc_fragments/kafka.py).

``KafkaModule`` is the modules' one skeleton: an AnsibleModule with the connection options, the KafkaAdmin built
on first use, and one way to fail. Everything that talks to the broker goes through ``KafkaAdmin``: it builds the
librdkafka configuration from the module options (SASL/SSL mapping), routes librdkafka's own logging away from
stderr, bounds every call by ``request_timeout``, and turns every failure into ModuleError whose message never
holds a secret.
"""

from __future__ import annotations

import logging
import os
import re
import time
import traceback
from typing import Any, Callable, Mapping

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.transactions_st.realtime.plugins.module_utils._base import ClientModule, ModuleError
from ansible_collections.transactions_st.realtime.plugins.module_utils._secrets import scrub

try:
    from confluent_kafka import KafkaException, TopicCollection
    from confluent_kafka.admin import (
        AdminClient,
        AlterConfigOpType,
        ConfigEntry,
        ConfigResource,
        NewPartitions,
        NewTopic,
        ResourceType,
    )
except ImportError:  # pragma: no cover - reported by the module through missing_required_lib
    HAS_CONFLUENT_KAFKA = False
    CONFLUENT_KAFKA_IMPORT_ERROR: str | None = traceback.format_exc()

    class KafkaException(Exception):  # type: ignore[no-redef]
        pass
else:
    HAS_CONFLUENT_KAFKA = True
    CONFLUENT_KAFKA_IMPORT_ERROR = None

SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
_SERVER = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[^\s,:\[\]]+):(\d{1,5})$")
_SASL_OPTIONS = ("sasl_mechanism", "sasl_username", "sasl_password")
_SSL_OPTIONS = ("ssl_ca_location", "ssl_certificate_location", "ssl_key_location", "ssl_key_password")
_SSL_FILES = ("ssl_ca_location", "ssl_certificate_location", "ssl_key_location")


def kafka_argument_spec() -> dict[str, dict[str, Any]]:
    """A fresh copy of the connection options, to ``.update()`` with a module's own options."""
    return dict(
        bootstrap_servers=dict(type="list", elements="str", required=True),
        security_protocol=dict(type="str", default="PLAINTEXT", choices=list(SECURITY_PROTOCOLS)),
        sasl_mechanism=dict(type="str", choices=list(SASL_MECHANISMS)),
        sasl_username=dict(type="str"),
        sasl_password=dict(type="str", no_log=True),
        ssl_ca_location=dict(type="path"),
        ssl_certificate_location=dict(type="path"),
        ssl_key_location=dict(type="path", no_log=False),
        ssl_key_password=dict(type="str", no_log=True),
        request_timeout=dict(type="float", default=30.0),
    )


def secrets_of(params: Mapping[str, Any]) -> list[str]:
    return [str(params[key]) for key in ("sasl_password", "ssl_key_password") if params.get(key)]


def _is_host_port(server: str) -> bool:
    match = _SERVER.match(server)
    return match is not None and 0 < int(match.group(2)) < 65536


def build_admin_config(params: Mapping[str, Any]) -> dict[str, Any]:
    """The librdkafka configuration for the module options; raises ModuleError on a bad combination.

    The result holds the secrets (it is handed to librdkafka); it must never be shown.
    """
    servers = [str(s).strip() for s in params.get("bootstrap_servers") or [] if str(s).strip()]
    if not servers:
        raise ModuleError("bootstrap_servers is empty: give at least one host:port")
    bad = [s for s in servers if not _is_host_port(s)]
    if bad:
        raise ModuleError(f"bootstrap_servers: {', '.join(bad)} is not host:port")
    timeout = float(params.get("request_timeout") or 0)
    if timeout <= 0:
        raise ModuleError(f"request_timeout must be a positive number of seconds, got {params.get('request_timeout')}")
    protocol = params.get("security_protocol") or "PLAINTEXT"
    config: dict[str, Any] = {
        "bootstrap.servers": ",".join(servers),
        "security.protocol": protocol,
        "client.id": "transactions_st.realtime",
        "socket.timeout.ms": max(1000, int(timeout * 1000)),
        "socket.connection.setup.timeout.ms": max(1000, int(timeout * 1000)),
    }
    given_sasl = [key for key in _SASL_OPTIONS if params.get(key)]
    if protocol.startswith("SASL_"):
        mechanism = params.get("sasl_mechanism") or "PLAIN"
        missing = [key for key in ("sasl_username", "sasl_password") if not params.get(key)]
        if missing:
            raise ModuleError(
                f"security_protocol {protocol} with sasl_mechanism {mechanism} needs {' and '.join(missing)}"
            )
        config.update(
            {
                "sasl.mechanism": mechanism,
                "sasl.username": params["sasl_username"],
                "sasl.password": params["sasl_password"],
            }
        )
    elif given_sasl:
        raise ModuleError(
            f"{', '.join(given_sasl)} given but security_protocol is {protocol}; use SASL_PLAINTEXT or SASL_SSL"
        )
    given_ssl = [key for key in _SSL_OPTIONS if params.get(key)]
    if protocol in ("SSL", "SASL_SSL"):
        for key in _SSL_FILES:
            if params.get(key) and not os.path.isfile(params[key]):
                raise ModuleError(f"{key}: no such file: {params[key]}")
        if bool(params.get("ssl_certificate_location")) != bool(params.get("ssl_key_location")):
            raise ModuleError("ssl_certificate_location and ssl_key_location must be given together")
        if params.get("ssl_key_password") and not params.get("ssl_key_location"):
            raise ModuleError("ssl_key_password given without ssl_key_location")
        for key in given_ssl:
            config[key.replace("_", ".")] = params[key]
    elif given_ssl:
        raise ModuleError(f"{', '.join(given_ssl)} given but security_protocol is {protocol}; use SSL or SASL_SSL")
    return config


def _quiet_logger() -> logging.Logger:
    logger = logging.getLogger("transactions_st.realtime.kafka")
    logger.propagate = False
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
    return logger


class KafkaAdmin:
    """An AdminClient bound to the module options: every call bounded by request_timeout, errors scrubbed."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.secrets = secrets_of(params)
        config = build_admin_config(params)
        self.servers = config["bootstrap.servers"]
        self.protocol = config["security.protocol"]
        self.timeout = float(params["request_timeout"])
        self._errors: list[str] = []
        config.update(logger=_quiet_logger(), error_cb=self._on_error)
        try:
            self.client = AdminClient(config)
        except KafkaException as exc:
            raise ModuleError(
                self._scrub(f"cannot set up the Kafka client for {self.servers}: {self.describe(exc)}")
            ) from None

    # -- errors -----------------------------------------------------------------------
    def _on_error(self, err: Any) -> None:
        if getattr(err, "name", lambda: "")() != "_ALL_BROKERS_DOWN":
            self._errors.append(str(err.str()))

    def _scrub(self, text: str) -> str:
        return scrub(text, self.secrets)

    @staticmethod
    def describe(exc: BaseException) -> str:
        # A KafkaException carries a KafkaError as its first argument; anything else is shown as it is.
        err: Any = exc.args[0] if exc.args else None
        if hasattr(err, "str") and hasattr(err, "name"):
            return f"{err.str()} ({err.name()})"
        return str(exc) or type(exc).__name__

    @staticmethod
    def error_name(exc: BaseException) -> str:
        err: Any = exc.args[0] if exc.args else None
        return err.name() if hasattr(err, "name") else ""

    def unreachable(self, detail: str) -> ModuleError:
        self.client.poll(0)
        reason = f"; last client error: {self._errors[0]}" if self._errors else ""
        return ModuleError(
            self._scrub(
                f"cannot reach Kafka at {self.servers} (security_protocol {self.protocol}) "
                f"within {self.timeout:g} s: {detail}{reason}"
            )
        )

    def request(self, what: str, method: Callable[..., Any], key: Any, *args: Any, **kwargs: Any) -> Any:
        """Call an AdminClient ``method`` (bounded by request_timeout) and wait for the future of ``key``.

        A Kafka error becomes ModuleError naming ``what``.
        """
        try:
            return method(*args, request_timeout=self.timeout, **kwargs)[key].result()
        except KafkaException as exc:
            raise ModuleError(self._scrub(f"{what} failed: {self.describe(exc)}")) from None

    # -- reads ------------------------------------------------------------------------
    def check_reachable(self) -> list[int]:
        """Fail clearly if no broker answers; returns the broker ids."""
        try:
            cluster = self.client.describe_cluster(request_timeout=self.timeout).result()
        except KafkaException as exc:
            raise self.unreachable(self.describe(exc)) from None
        return sorted(node.id for node in cluster.nodes)

    def describe_topic(self, name: str) -> dict[str, Any] | None:
        """``{'partitions', 'replication_factor', 'online'}``, or None if absent.

        ``online``: every partition has a leader.
        """
        future = self.client.describe_topics(TopicCollection([name]), request_timeout=self.timeout)[name]
        try:
            desc = future.result()
        except KafkaException as exc:
            if self.error_name(exc) == "UNKNOWN_TOPIC_OR_PART":
                return None
            raise ModuleError(self._scrub(f"describing topic {name!r} failed: {self.describe(exc)}")) from None
        return {
            "partitions": len(desc.partitions),
            "replication_factor": max((len(p.replicas) for p in desc.partitions), default=0),
            "online": bool(desc.partitions) and all(p.leader is not None for p in desc.partitions),
        }

    def topic_configs(self, name: str) -> dict[str, str | None]:
        """Every config entry the broker reports for topic ``name`` (value None when sensitive)."""
        resource = ConfigResource(ResourceType.TOPIC, name)
        entries = self.request(
            f"describing the configuration of topic {name!r}", self.client.describe_configs, resource, [resource]
        )
        return {key: entry.value for key, entry in entries.items()}

    def broker_defaults(self, broker_ids: list[int]) -> dict[str, int | None]:
        """The partitions and replication factor a topic gets when none is given (None if unreadable)."""
        out: dict[str, int | None] = {"partitions": None, "replication_factor": None}
        if not broker_ids:
            return out
        resource = ConfigResource(ResourceType.BROKER, str(broker_ids[0]))
        try:
            entries = self.client.describe_configs([resource], request_timeout=self.timeout)[resource].result()
        except KafkaException:
            return out
        for key, field in (("num.partitions", "partitions"), ("default.replication.factor", "replication_factor")):
            value = entries[key].value if key in entries else None
            out[field] = int(value) if value and value.lstrip("-").isdigit() else None
        return out

    # -- writes (each can be a dry run with validate_only) ------------------------------
    def create_topic(
        self,
        name: str,
        partitions: int | None,
        replication_factor: int | None,
        config: Mapping[str, str],
        validate_only: bool = False,
    ) -> None:
        topic = NewTopic(name, partitions or -1, replication_factor or -1, config=dict(config))
        self.request(
            f"creating topic {name!r}",
            self.client.create_topics,
            name,
            [topic],
            validate_only=validate_only,
            operation_timeout=self.timeout,
        )

    def delete_topic(self, name: str) -> None:
        self.request(
            f"deleting topic {name!r}", self.client.delete_topics, name, [name], operation_timeout=self.timeout
        )

    def create_partitions(self, name: str, total: int, validate_only: bool = False) -> None:
        self.request(
            f"increasing the partitions of topic {name!r} to {total}",
            self.client.create_partitions,
            name,
            [NewPartitions(name, total)],
            validate_only=validate_only,
            operation_timeout=self.timeout,
        )

    def set_topic_configs(self, name: str, values: Mapping[str, str], validate_only: bool = False) -> None:
        entries = [
            ConfigEntry(key, value, incremental_operation=AlterConfigOpType.SET)
            for key, value in sorted(values.items())
        ]
        resource = ConfigResource(ResourceType.TOPIC, name, incremental_configs=entries)
        self.request(
            f"changing the configuration of topic {name!r}",
            self.client.incremental_alter_configs,
            resource,
            [resource],
            validate_only=validate_only,
        )

    def wait_for(self, what: str, done: Callable[[], bool], fail: bool = True) -> bool:
        """Poll ``done`` until true or request_timeout; on timeout raise (``fail``) or return False."""
        deadline = time.monotonic() + self.timeout
        while True:
            if done():
                return True
            if time.monotonic() >= deadline:
                if fail:
                    raise ModuleError(f"{what} was not visible in the cluster metadata within {self.timeout:g} s")
                return False
            time.sleep(0.2)


class KafkaModule(ClientModule):
    """The kafka_* modules' one skeleton: an AnsibleModule plus the Kafka connection.

    Modelled on amazon.aws's AnsibleAWSModule (plugins/module_utils/modules.py in
    https://github.com/ansible-collections/amazon.aws): the wrapper adds the connection options
    (``kafka_argument_spec()``) to the module's own, fails with ``missing_required_lib()`` when confluent-kafka
    is missing, and builds the client (``admin``) on first use. ``run()`` is the one place a module exits or
    fails: a ModuleError fails with its message (and extra result keys), any other exception fails as an
    unexpected error with its traceback, and the secret options are scrubbed from both.

    ``connection=False`` is for a module that takes no connection options (kafka_cluster_id): no connection
    options, no client, no confluent-kafka needed, the same ``run()``.
    """

    def __init__(self, argument_spec: Mapping[str, Any], connection: bool = True, **kwargs: Any) -> None:
        spec = kafka_argument_spec() if connection else {}
        spec.update(argument_spec)
        module = AnsibleModule(argument_spec=spec, **kwargs)
        super().__init__(module, secrets_of(module.params))
        self.connection = connection
        self._admin: KafkaAdmin | None = None
        if connection and not HAS_CONFLUENT_KAFKA:
            self.module.fail_json(msg=missing_required_lib("confluent-kafka"), exception=CONFLUENT_KAFKA_IMPORT_ERROR)

    @property
    def admin(self) -> KafkaAdmin:
        """The KafkaAdmin for the connection options, built at the first use (a ModuleError if they do not fit)."""
        if not self.connection:
            raise RuntimeError("this module was built with connection=False: it has no Kafka client")
        if self._admin is None:
            self._admin = KafkaAdmin(self.params)
        return self._admin

    def close(self) -> None:
        """Let go of the client: librdkafka's handle is destroyed with its last reference, before the module exits
        rather than at interpreter shutdown. AdminClient has no close() of its own."""
        self._admin = None
