"""The lab's Python API, shared by the CLI and the pytest fixtures."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from .core import Context, LabError, ProcessService, Service, ServiceFailed
from .services import ORDER, service


@dataclass
class Status:
    name: str
    state: str  # running | unhealthy | exited | stopped
    pid: int | None
    address: str
    log: str


class Lab:
    def __init__(self, ctx: Context | None = None) -> None:
        self.ctx = ctx or Context.from_env()
        self._services: dict[str, Service] = {}
        # Names this object launched, kept even when start() fails half-way, so a caller that
        # cleans up (the pytest fixture) stops exactly what it caused.
        self.launched: list[str] = []

    def service(self, name: str) -> Service:
        if name not in self._services:
            self._services[name] = service(name, self.ctx)
        return self._services[name]

    def with_dependencies(self, names: Iterable[str]) -> list[str]:
        wanted: set[str] = set()

        def add(name: str) -> None:
            if name not in wanted:
                wanted.add(name)
                for dep in self.service(name).depends:
                    add(dep)

        for name in names or ORDER:
            add(name)
        return [n for n in ORDER if n in wanted]

    def dependents(self, names: Iterable[str]) -> list[str]:
        """`names` plus every service that (transitively) depends on one of them."""
        closed = set(names)
        for name in ORDER:  # ORDER lists dependencies before dependents
            if closed & set(self.service(name).depends):
                closed.add(name)
        return [n for n in ORDER if n in closed]

    # ------------------------------------------------------------------ start

    def start(self, names: Iterable[str] = ()) -> list[str]:
        """Start `names` (all when empty) and their dependencies; return once all are healthy.

        Already running and healthy services are left alone. Processes are launched first and
        waited for afterwards, so the JVM boots while the others come up.
        """
        order = self.with_dependencies(list(names))
        with self.ctx.lock():
            waiting: list[tuple[Service, bool]] = []
            failed: dict[str, LabError] = {}
            confirmed: set[str] = set()
            for name in order:
                svc = self.service(name)
                for dep in svc.depends:
                    if dep not in confirmed and dep not in failed:
                        try:
                            self._wait(self.service(dep), fresh=dep in self.launched)
                            confirmed.add(dep)
                        except LabError as exc:
                            failed[dep] = exc
                try:
                    if any(dep in failed for dep in svc.depends):
                        raise LabError(f"{name} not started: {', '.join(d for d in svc.depends if d in failed)} failed")
                    if svc.running():
                        waiting.append((svc, False))
                        continue
                    svc.stop()  # forget a stale entry (process gone, or pid reused by someone else)
                    self.ctx.log(f"starting {name}")
                    self.launched.append(name)
                    self._launch(svc)
                    waiting.append((svc, True))
                except LabError as exc:
                    failed[name] = exc
            for svc, fresh in waiting:
                if svc.name in confirmed or svc.name in failed:
                    continue
                try:
                    self._wait(svc, fresh)
                    confirmed.add(svc.name)
                except LabError as exc:
                    failed[svc.name] = exc
            if failed:
                first, *others = failed.values()
                for other in others:
                    self.ctx.log(f"also failed: {other}")
                raise first
        return [n for n in self.launched if n in order]

    def _launch(self, svc: Service) -> None:
        try:
            svc.start()
        except BaseException:
            # Leave nothing half-started behind: the next `start` begins from scratch.
            if isinstance(svc, ProcessService):
                svc.stop()
            raise

    def _wait(self, svc: Service, fresh: bool) -> None:
        deadline = time.monotonic() + svc.start_timeout
        while True:
            if svc.healthy():
                if not fresh:
                    pid = svc.pid()
                    self.ctx.log(f"{svc.name} already running" + (f" (pid {pid})" if pid else ""))
                return
            if isinstance(svc, ProcessService) and not svc.running():
                err = ServiceFailed(svc, f"{svc.name} exited before it became healthy")
                svc.stop()
                raise err
            if time.monotonic() > deadline:
                what = "did not become healthy" if fresh else "is running but not healthy"
                err = ServiceFailed(svc, f"{svc.name} {what} within {svc.start_timeout:.0f} s")
                if fresh:
                    svc.stop()
                raise err
            time.sleep(0.5)

    # ------------------------------------------------------------------ stop / status / env

    def stop(self, names: Iterable[str] = ()) -> list[str]:
        """Stop what the lab started (and whatever depends on it); tolerant of already-stopped."""
        targets = self.dependents(list(names)) if names else list(ORDER)
        stopped: list[str] = []
        with self.ctx.lock():
            for name in reversed(targets):
                if name not in self.ctx.state.read()["services"]:
                    continue
                if self.service(name).stop():
                    stopped.append(name)
        return stopped

    def status(self) -> list[Status]:
        rows = []
        for name in ORDER:
            entry = self.ctx.state.service(name)
            if not entry:
                rows.append(Status(name, "stopped", None, "", ""))
                continue
            svc = self.service(name)
            if not svc.running():
                state = "exited"  # the lab started it, it is gone: a crash, or killed from outside
            else:
                state = "running" if svc.healthy() else "unhealthy"
            logs = svc.log_files()
            rows.append(Status(name, state, svc.pid(), svc.address(), str(logs[0]) if logs else ""))
        return rows

    def running(self, names: Iterable[str] = ()) -> list[str]:
        state = self.ctx.state.read()["services"]
        return [n for n in (list(names) or ORDER) if n in state and self.service(n).running()]

    def env(self, names: Iterable[str] = ()) -> dict[str, str]:
        result: dict[str, str] = {}
        for name in self.running(names):
            result.update(self.service(name).env())
        return result

    def fetch(self, names: Iterable[str] = ()) -> None:
        for name in list(names) or ORDER:
            if name != "docker":  # the image is built by the docker service's own start
                self.service(name).fetch()
