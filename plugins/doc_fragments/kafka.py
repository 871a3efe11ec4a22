# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options shared by the kafka_* modules (argument spec: module_utils/_kafka.py)."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  bootstrap_servers:
    description:
      - The brokers to contact first, each as C(host:port) (an IPv6 address in brackets, C([::1]:9092)).
      - The client learns the rest of the cluster from them.
    type: list
    elements: str
    required: true
  security_protocol:
    description:
      - How the client talks to the brokers, as the listener is configured on the broker side.
      - V(SASL_PLAINTEXT) and V(SASL_SSL) need O(sasl_username) and O(sasl_password);
        V(SSL) and V(SASL_SSL) accept the C(ssl_*) options.
      - Giving a C(sasl_*) or C(ssl_*) option that the chosen protocol does not use is an error, so a
        credential or a CA is never silently ignored.
    type: str
    choices: [PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL]
    default: PLAINTEXT
  sasl_mechanism:
    description:
      - The SASL mechanism, when O(security_protocol) is V(SASL_PLAINTEXT) or V(SASL_SSL).
      - Defaults to V(PLAIN) when SASL is used.
    type: str
    choices: [PLAIN, SCRAM-SHA-256, SCRAM-SHA-512]
  sasl_username:
    description: The SASL user name.
    type: str
  sasl_password:
    description: The SASL password. Never shown in results, errors or logs.
    type: str
  ssl_ca_location:
    description:
      - Path on the managed host to the CA certificate(s), PEM, used to verify the brokers.
      - Without it, the system CA store is used.
    type: path
  ssl_certificate_location:
    description:
      - Path on the managed host to the client certificate, PEM, for TLS client authentication.
      - Requires O(ssl_key_location).
    type: path
  ssl_key_location:
    description: Path on the managed host to the client private key, PEM.
    type: path
  ssl_key_password:
    description: The passphrase of O(ssl_key_location). Never shown in results, errors or logs.
    type: str
  request_timeout:
    description:
      - Seconds to wait for each request to the cluster, and for a change to show in the cluster metadata.
      - An unreachable cluster fails after this long with the servers named.
    type: float
    default: 30
requirements:
  - confluent-kafka >= 2.4 (Python, on the managed host; its wheels bundle librdkafka)
notes:
  - The module runs on the managed host and connects from there; use C(delegate_to) to run it where
    the brokers are reachable.
  - Kafka 2.4 or newer (KRaft or ZooKeeper mode) is required for the admin requests used.
"""

    ACTIONGROUP_KAFKA = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/transactions_st.realtime.kafka) in C(module_defaults) to set connection options once.
    support: full
    membership:
      - transactions_st.realtime.kafka
"""
