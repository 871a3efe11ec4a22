# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options every singlestore_* module takes (documented in doc_fragments/singlestore.py)."""

from __future__ import annotations

from typing import Any

SSL_MODES = ("disabled", "preferred", "required", "verify_ca", "verify_identity")


def connection_argument_spec() -> dict[str, dict[str, Any]]:
    """A fresh copy of the shared connection argument spec, to ``.update()`` with a module's own options."""
    return dict(
        login_host=dict(type="str", default="localhost"),
        login_port=dict(type="int", default=3306),
        login_user=dict(type="str"),
        login_password=dict(type="str", no_log=True),
        login_unix_socket=dict(type="str"),
        config_file=dict(type="path"),
        connect_timeout=dict(type="int", default=10),
        session_vars=dict(type="dict", default={}),
        ssl_mode=dict(type="str", default="preferred", choices=list(SSL_MODES)),
        ca_cert=dict(type="path", aliases=["ssl_ca"]),
        client_cert=dict(type="path", aliases=["ssl_cert"]),
        client_key=dict(type="path", aliases=["ssl_key"], no_log=False),
    )


CONNECTION_OPTION_NAMES = tuple(connection_argument_spec())
