# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared documentation of the singlestore_* modules: connection options and attributes."""

from __future__ import annotations


class ModuleDocFragment:
    # Connection options, used by every singlestore_* module.
    DOCUMENTATION = r"""
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

    # Attribute descriptions (as community.docker's _attributes); each module states its own support and details.
    ATTRIBUTES = r"""
options: {}
attributes:
  check_mode:
    description: Can run in C(check_mode) and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)), when in diff mode.
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
      - This assumes that the system controlled/queried by the module has not changed in a relevant way.
"""

    # The action group, for module_defaults.
    ACTIONGROUP_SINGLESTORE = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/transactions_st.realtime.singlestore) in C(module_defaults) to set connection options once.
    support: full
    membership:
      - transactions_st.realtime.singlestore
"""

    # Attributes of a module that only reads.
    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - This action does not modify state.
  diff_mode:
    support: N/A
    details:
      - This action does not modify state.
  idempotent:
    support: full
"""
