# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options, one fragment per product; their argument specs are in module_utils.

Every module that connects extends one of these, and the matching fragment of action_group.py
(tests/unit/packaging/test_action_groups.py checks it). The attributes have their own fragment (attributes.py).
"""

from __future__ import annotations


class ModuleDocFragment:
    # The singlestore_* modules (SingleStore, MySQL, MariaDB over PyMySQL).
    SINGLESTORE = r"""
options:
  login_host:
    description:
      - Host name or address of the SingleStore aggregator (or MySQL/MariaDB server).
    type: str
    default: localhost
  login_port:
    description:
      - TCP port of the server. SingleStore Helios and the dev image use C(3306).
    type: int
    default: 3306
  login_user:
    description:
      - User to log in as. Required unless O(config_file) names one.
    type: str
  login_password:
    description:
      - Password of O(login_user). Never shown in results, diffs or errors.
    type: str
  login_unix_socket:
    description:
      - Connect through this Unix socket instead of TCP.
    type: str
  config_file:
    description:
      - A MySQL option file (like C(~/.my.cnf)) read through PyMySQL's C(read_default_file),
        section C([client]).
      - As in PyMySQL, values found in the file (user, password, host, port, socket) take precedence
        over the options of the task.
      - Not read unless set.
    type: path
  connect_timeout:
    description:
      - Seconds to wait for the connection.
    type: int
    default: 10
  session_vars:
    description:
      - Session variables set with C(SET SESSION name = value) right after connecting.
      - Names must be plain words (letters, digits, underscore); values are sent as driver parameters.
    type: dict
    default: {}
  ssl_mode:
    description:
      - V(disabled) never uses TLS.
      - V(preferred) uses TLS without verifying the server when the server offers it, plain text otherwise
        (the MySQL client's default).
      - V(required) uses TLS without verifying the server certificate and fails if the server does not offer TLS.
      - V(verify_ca) also verifies the server certificate against O(ca_cert) (or the system CAs), not the host name.
      - V(verify_identity) also checks that the certificate names O(login_host).
      - For SingleStore Helios use V(verify_identity) (or V(verify_ca)) with the C(singlestore_bundle.pem) CA bundle.
    type: str
    choices: [disabled, preferred, required, verify_ca, verify_identity]
    default: preferred
  ca_cert:
    description:
      - CA bundle (PEM) used to verify the server with O(ssl_mode=verify_ca) or O(ssl_mode=verify_identity).
    type: path
    aliases: [ssl_ca]
  client_cert:
    description:
      - Client certificate (PEM) for users created with C(REQUIRE X509).
    type: path
    aliases: [ssl_cert]
  client_key:
    description:
      - Private key (PEM) of O(client_cert).
    type: path
    aliases: [ssl_key]
requirements:
  - PyMySQL >= 1.1 on the host that runs the module.
notes:
  - The server flavour is detected with C(SELECT @@memsql_version) (SingleStore answers it, MySQL and MariaDB
    fail with error 1193); C(@@version) is never used for that because SingleStore reports a MySQL version there.
  - All options of this fragment can be set once for a play with
    C(module_defaults) and the action group C(group/transactions_st.realtime.singlestore).
  - Identifiers are always quoted with backticks; names containing a backtick, a quote, a semicolon,
    a backslash, a newline or a NUL character, or longer than 64 characters, are refused.
"""

    # The kafka_* modules that talk to a cluster (confluent-kafka's admin client).
    KAFKA = r"""
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

    # The Helios modules (singlestore_workspace_group, singlestore_workspace, singlestore_workspace_info):
    # SingleStore's Management API v1 through the singlestoredb package's management client.
    HELIOS = r"""
options:
  api_key:
    description:
      - A SingleStore Management API key (Cloud Portal, Organization, API Keys).
      - When not given, the environment variable E(SINGLESTOREDB_API_KEY) is used.
      - Never shown in results, diffs or errors.
    type: str
  api_url:
    description:
      - Base URL of the Management API; the client appends C(/v1/).
      - When not given, the environment variable E(SINGLESTOREDB_MANAGEMENT_BASE_URL), else
        C(https://api.singlestore.com).
    type: str
requirements:
  - singlestoredb >= 1.18 (Python, on the host that runs the module; its management client drives the API)
notes:
  - The module runs where it is executed (usually C(localhost)) and talks HTTPS to the Management API; it needs no
    SQL access to the workspace.
  - All options of this fragment can be set once for a play with C(module_defaults) and the action group
    C(group/transactions_st.realtime.helios).
  - Workspaces and workspace groups are the Management API v1 vocabulary; singlestoredb 1.18 marks them deprecated
    in favour of the v2 C(clusters) API, which still serves them. These modules stay on v1, the API that the
    Terraform provider's C(singlestoredb_workspace_group) and C(singlestoredb_workspace) resources use.
  - Where the client falls short, the module does the work itself. It lists no terminated objects and has no wait
    that reports progress, so the module polls the object and returns every state it saw (C(states_seen)).
    Its own C(wait_on_active) logs in to the database to test the endpoint, which is not used. Its
    C(create_workspace_group) drops a generated admin password, so creating a group requires C(admin_password).
    Its deprecation warning for v1 is silenced so that it does not reach every task's output.
  - The client retries reads and deletions on C(429) and C(5xx) answers (4 times by default,
    E(SINGLESTOREDB_MANAGEMENT_RETRIES)), and a group creation refused because another creation holds the
    organization's lock for up to about four minutes (E(SINGLESTOREDB_MANAGEMENT_LOCK_RETRIES)).
"""
