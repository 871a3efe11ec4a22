# -*- coding: utf-8 -*-
# Copyright: contributors to transactions_st.realtime
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A stand-in for Grafana, for the grafana role's Molecule scenario only.

grafana/grafana cannot be pulled on the test machines (no container registry), so the scenario
runs this instead. It is NOT Grafana and proves nothing about Grafana itself: it only lets the
scenario check the role's mechanics, the way Grafana would meet them:

* at start it reads what Grafana reads at start, as the container user: the admin password
  through GF_SECURITY_ADMIN_PASSWORD__FILE (like the image's run.sh) and every provisioning YAML
  file; an unreadable file stops it, as a wrong owner or mode would break Grafana;
* GET /api/health answers like Grafana's ({"database": "ok", ...});
* GET /api/datasources/uid/<uid>/health, with the admin login, answers OK when a provisioned
  data source file names that uid (no database is contacted);
* GET /api/standin/state, with the admin login, returns the start time, the process's UID and
  the SHA-256 of each provisioning file as read at start, so a test can tell whether a restart
  picked up a changed file.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PROVISIONING = Path(os.environ.get("GF_PATHS_PROVISIONING", "/etc/grafana/provisioning"))
DASHBOARDS = Path("/etc/grafana/dashboards")


def read_startup_files() -> tuple[str, str, dict[str, str]]:
    user = os.environ.get("GF_SECURITY_ADMIN_USER", "admin")
    password_file = os.environ["GF_SECURITY_ADMIN_PASSWORD__FILE"]
    # run.sh: export GF_..._PASSWORD="$(< file)", which drops trailing newlines
    password = Path(password_file).read_text(encoding="utf-8").rstrip("\n")
    files = {}
    for sub in ("datasources", "dashboards"):
        for path in sorted((PROVISIONING / sub).glob("*.yaml")):
            files[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return user, password, files


USER, PASSWORD, FILES = read_startup_files()
STARTED = time.time()


class Handler(BaseHTTPRequestHandler):
    server_version = "grafana-standin"

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        sys.stderr.write("standin: " + (format % args) + "\n")

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, colon, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except ValueError:
            return False
        return bool(colon) and user == USER and password == PASSWORD

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path == "/api/health":
            self._send(200, {"database": "ok", "version": "stand-in", "commit": "molecule"})
            return
        if not self._authorized():
            self._send(401, {"message": "Unauthorized"})
            return
        if self.path.startswith("/api/datasources/uid/") and self.path.endswith("/health"):
            uid = self.path[len("/api/datasources/uid/"):-len("/health")]
            for name in FILES:
                if "/datasources/" in name and f'uid: "{uid}"' in Path(name).read_text(encoding="utf-8"):
                    self._send(200, {"status": "OK", "message": "stand-in: provisioned data source found, no database contacted"})
                    return
            self._send(404, {"message": "Data source not found"})
            return
        if self.path == "/api/standin/state":
            self._send(200, {"started": STARTED, "uid": os.getuid(), "gid": os.getgid(), "provisioning": FILES,
                             "dashboards": sorted(p.name for p in DASHBOARDS.glob("*.json"))})
            return
        self._send(404, {"message": "Not found"})


def main() -> None:
    server = ThreadingHTTPServer(("0.0.0.0", 3000), Handler)  # nosec: inside the container
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server.serve_forever()


if __name__ == "__main__":
    main()
