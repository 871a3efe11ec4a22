"""moto_server: a local AWS API endpoint (EC2, S3, ...) for the amazon.aws modules."""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
from pathlib import Path

from ..core import HOST, ProcessService, check_port_free


def moto_command() -> list[str]:
    # The console script next to the running interpreter (the venv's); `-m moto.server` is the
    # same program and works when the script is missing (e.g. a non-venv install).
    script = Path(sys.executable).parent / "moto_server"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "moto.server"]


class Moto(ProcessService):
    name = "moto"
    start_timeout = 60.0
    stop_grace = 10.0

    @property
    def port(self) -> int:
        return int(self.entry().get("port") or self.ctx.port("LAB_MOTO_PORT", 35000))

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_files(self) -> list[Path]:
        return [self.dir / "moto.log"]

    def start(self) -> None:
        port = self.ctx.port("LAB_MOTO_PORT", 35000)
        check_port_free(port, "moto", "LAB_MOTO_PORT")
        self.dir.mkdir(parents=True, exist_ok=True)
        self.launch([*moto_command(), "-H", HOST, "-p", str(port)], self.dir / "moto.log", port=port)

    def healthy(self) -> bool:
        if not self.running():
            return False
        try:
            with urllib.request.urlopen(f"{self.url}/moto-api/", timeout=3) as resp:
                return bool(resp.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def address(self) -> str:
        return self.url

    def env(self) -> dict[str, str]:
        return {"LAB_MOTO_URL": self.url}
