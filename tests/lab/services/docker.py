"""The Docker engine and the systemd test image, wrapped from tests/lab/docker_engine.py."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from ..core import LabError, Service


def engine_module() -> ModuleType:
    # Imported lazily: the module is written separately and only this service needs it.
    try:
        from .. import docker_engine
    except ModuleNotFoundError as exc:
        if exc.name != "tests.lab.docker_engine":
            raise LabError(f"tests/lab/docker_engine.py needs the Python module {exc.name!r}") from None
        raise LabError(
            "the docker service needs tests/lab/docker_engine.py, which is not there yet; "
            "start the other services by name"
        ) from None
    return docker_engine


@contextlib.contextmanager
def as_lab_error(engine: ModuleType) -> Iterator[None]:
    """docker_engine raises its own error type (message says what to do); the CLI wants LabError."""
    own = getattr(engine, "DockerLabError", None)
    try:
        yield
    except LabError:
        raise
    except Exception as exc:
        if own is not None and isinstance(exc, own):
            raise LabError(f"docker: {exc}") from None
        raise


class Docker(Service):
    name = "docker"
    start_timeout = 120.0

    def start(self) -> None:
        engine = engine_module()
        with as_lab_error(engine):
            # An engine that already answers (systemd's, the user's, another lab's) is used, and
            # later left running: only one this start brought up is the lab's to stop.
            was_up = bool(engine.engine_healthy())
            # docker_engine keeps its own files under <state>/docker/, so it gets the lab state dir.
            engine.ensure_engine(self.ctx.state_dir, self.ctx.log)
            image = engine.ensure_image(self.ctx.cache_dir, self.ctx.log)
        self.ctx.state.update(self.name, {"image": image, "engine_started": not was_up})

    def stop(self) -> bool:
        entry = self.ctx.state.service(self.name)
        if entry.get("engine_started"):
            engine = engine_module()
            with as_lab_error(engine):
                engine.stop_engine(self.ctx.state_dir)  # and it, too, stops only a dockerd it started
        if entry:
            self.ctx.state.update(self.name, None)
        return bool(entry.get("engine_started"))

    def running(self) -> bool:
        return bool(self.ctx.state.service(self.name)) and self.healthy()

    def healthy(self) -> bool:
        try:
            return bool(engine_module().engine_healthy())
        except LabError:
            return False

    @property
    def image(self) -> str:
        return str(self.ctx.state.service(self.name).get("image", ""))

    def address(self) -> str:
        return f"unix:///var/run/docker.sock, image {self.image}" if self.image else "unix:///var/run/docker.sock"

    def log_files(self) -> list[Path]:
        return sorted(self.dir.glob("*.log")) if self.dir.is_dir() else []
