"""A systemd container that plays the stack host in the lab inventory (the EC2 host's stand-in).

It runs the lab's Debian trixie systemd image with the host's network, so services deployed on it
(the producer) reach the lab's Kafka on 127.0.0.1; Ansible reaches it with the
community.docker.docker connection. The host's CA certificates are mounted read-only so that pip
inside it reaches PyPI (lab-probes.md).
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping

from ..core import LabError, Service

DEFAULT_CONTAINER = "tst-lab-stack-host"


def container_name(environ: Mapping[str, str]) -> str:
    """The container's name: LAB_STACK_HOST_CONTAINER, so that two labs on one Docker engine can each have one."""
    return environ.get("LAB_STACK_HOST_CONTAINER", "").strip() or DEFAULT_CONTAINER


class StackHost(Service):
    name = "stack_host"
    depends = ("docker",)
    start_timeout = 60.0

    def _docker(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        from .. import docker_engine  # the docker service made sure it is there

        result = subprocess.run([docker_engine.docker_cli(), *args], capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            raise LabError(f"stack_host: docker {' '.join(args[:2])} failed: {result.stderr.strip()[-400:]}")
        return result

    def _container(self) -> str:
        """The name this lab started its container with, else the one it would start now."""
        entry = self.ctx.state.service(self.name) or {}
        return entry.get("container") or container_name(self.ctx.environ)

    def _state(self) -> str:
        result = self._docker("inspect", "-f", "{{.State.Status}}", self._container(), check=False)
        return result.stdout.strip() if result.returncode == 0 else ""

    def start(self) -> None:
        from .. import docker_engine

        name = self._container()
        state = self._state()
        if state == "running":
            return
        if state:
            self._docker("rm", "-f", name)
        self._docker(
            "run", "-d", "--name", name, "--hostname", name, "--network", "host",
            "--cgroupns=private", "--cap-add", "SYS_ADMIN", "--tmpfs", "/run", "--tmpfs", "/run/lock",
            "--stop-signal", "SIGRTMIN+3", "-v", "/etc/ssl/certs:/etc/ssl/certs:ro", docker_engine.IMAGE_TAG,
        )
        self.ctx.state.update(self.name, {"container": name})

    def stop(self) -> bool:
        entry = self.ctx.state.service(self.name)
        if not entry:
            return False
        self._docker("rm", "-f", entry.get("container") or container_name(self.ctx.environ), check=False)
        self.ctx.state.update(self.name, None)
        return True

    def running(self) -> bool:
        return bool(self.ctx.state.service(self.name)) and self._state() == "running"

    def healthy(self) -> bool:
        if self._state() != "running":
            return False
        result = self._docker("exec", self._container(), "systemctl", "is-system-running", check=False)
        return result.stdout.strip() in ("running", "degraded")

    def env(self) -> dict[str, str]:
        return {"LAB_STACK_HOST_CONTAINER": self._container()}

    def address(self) -> str:
        return f"container {self._container()} (host network)"
