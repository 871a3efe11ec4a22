"""The lab CA and a server certificate for 127.0.0.1/localhost, made with the openssl CLI.

Keys are written without a passphrase, so no secret ever appears on a command line. The
folder is built under a temporary name and renamed into place, like a cache entry.
"""

from __future__ import annotations

import os
from pathlib import Path

from .core import Log, cache_entry, require_tool, run_checked

# Key identifiers included: Python 3.13+ verifies with VERIFY_X509_STRICT, which wants them.
SERVER_EXT = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
"""


def ensure_tls(state_dir: Path, log: Log) -> Path:
    """Return `<state>/tls` holding ca.pem, ca.key, server.pem, server.key."""
    openssl = require_tool("openssl", "apt-get install openssl")

    def build(tmp: Path) -> None:
        log("creating the lab CA and server certificate")

        def ssl(*args: str) -> None:
            run_checked([openssl, *args], f"openssl {args[0]}", cwd=tmp)

        ssl("genrsa", "-out", "ca.key", "2048")
        ssl(
            "req", "-x509", "-new", "-key", "ca.key", "-sha256", "-days", "3650",
            "-subj", "/CN=transactions_st lab CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-out", "ca.pem",
        )
        ssl("genrsa", "-out", "server.key", "2048")
        ssl("req", "-new", "-key", "server.key", "-subj", "/CN=127.0.0.1", "-out", "server.csr")
        (tmp / "server.ext").write_text(SERVER_EXT)
        ssl(
            "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "825", "-sha256", "-extfile", "server.ext", "-out", "server.pem",
        )
        for key in ("ca.key", "server.key"):
            os.chmod(tmp / key, 0o600)

    return cache_entry(state_dir / "tls", build, log)
