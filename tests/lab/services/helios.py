"""The SingleStore Helios Management API stand-in (server in tests/lab/helios/server.py)."""

from __future__ import annotations

import json
import os
import secrets
import sys
import urllib.error
import urllib.request
from pathlib import Path

from ..core import HOST, REPO_ROOT, LabError, ProcessService, check_port_free, write_atomic

DEFAULT_PORT = 35600
DEFAULT_DELAY = "0.3"


class Helios(ProcessService):
    name = "helios"
    start_timeout = 30.0
    stop_grace = 5.0

    @property
    def port(self) -> int:
        return int(self.entry().get("port") or self.ctx.port("LAB_HELIOS_PORT", DEFAULT_PORT))

    @property
    def url(self) -> str:
        """The base URL to hand to the client (`base_url`); the API lives under `/v1/`."""
        return f"http://{HOST}:{self.port}"

    @property
    def key_file(self) -> Path:
        return self.dir / "api_key"

    def api_key(self) -> str:
        """The bearer key, generated at the first start and kept (mode 0600) for the next ones."""
        try:
            key = self.key_file.read_text().strip()
        except FileNotFoundError:
            key = ""
        except OSError as exc:
            raise LabError(f"cannot read {self.key_file} ({exc}); remove it and start helios again") from None
        if not key:
            # Hex like the real keys (the Management API docs call them hex-encoded).
            key = secrets.token_hex(32)
            write_atomic(self.key_file, key + "\n", mode=0o600)
        return key

    def delay(self) -> str:
        raw = self.ctx.environ.get("LAB_HELIOS_DELAY", "").strip() or DEFAULT_DELAY
        try:
            if float(raw) < 0:
                raise ValueError
        except ValueError:
            raise LabError(f"LAB_HELIOS_DELAY={raw!r} is not a number of seconds (>= 0)") from None
        return raw

    def log_files(self) -> list[Path]:
        return [self.dir / "helios.log"]

    def start(self) -> None:
        port = self.ctx.port("LAB_HELIOS_PORT", DEFAULT_PORT)
        check_port_free(port, "helios", "LAB_HELIOS_PORT")
        delay = self.delay()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.api_key()  # the key file exists before the server reads it
        # Same interpreter as the lab, run from the repo root so `tests.lab.helios` imports.
        pythonpath = [str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(pythonpath)}
        self.launch(
            [
                sys.executable,
                "-m",
                "tests.lab.helios.server",
                "--host",
                HOST,
                "--port",
                str(port),
                "--api-key-file",
                str(self.key_file),
                "--delay",
                delay,
            ],
            self.dir / "helios.log",
            env=env,
            port=port,
        )

    def healthy(self) -> bool:
        if not self.running():
            return False
        # A /_lab/ knob, not /v1/regions: health checks must not show up in the request log tests read.
        req = urllib.request.Request(f"{self.url}/_lab/config", headers={"Authorization": f"Bearer {self.api_key()}"})
        try:
            with urllib.request.urlopen(req, timeout=3) as resp:
                return resp.status == 200 and "delay" in json.load(resp)
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def address(self) -> str:
        return self.url

    def env(self) -> dict[str, str]:
        return {"LAB_HELIOS_URL": self.url, "LAB_HELIOS_API_KEY": self.api_key()}
