"""Shared pieces of the test lab: paths, the state file, ports, processes, caches.

Everything here raises `LabError` for conditions a user can fix; the CLI turns that into a
one-line `lab: error: ...` and exit code 2, so no traceback ever reaches the user for those.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

REPO_ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
MARKER = ".complete"

Log = Callable[[str], None]


class LabError(Exception):
    """A failure the user can act on; the message says what to do."""


def stderr_log(msg: str) -> None:
    print(f"lab: {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- context


@dataclass
class Context:
    """Where the lab keeps things and which environment it reads ports from."""

    state_dir: Path
    cache_dir: Path
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    log: Log = stderr_log

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, log: Log = stderr_log) -> Context:
        env = dict(os.environ if environ is None else environ)
        state = Path(env.get("LAB_STATE_DIR") or REPO_ROOT / ".lab")
        cache = Path(env.get("TST_CACHE") or Path.home() / ".cache" / "transactions_st")
        # Absolute paths: they end up in server configs and in `env` output used elsewhere.
        return cls(state.absolute(), cache.absolute(), env, log)

    def port(self, var: str, default: int) -> int:
        raw = self.environ.get(var, "").strip()
        if not raw:
            return default
        if not raw.isdigit() or not 0 < int(raw) < 65536:
            raise LabError(f"{var}={raw!r} is not a TCP port (1-65535)")
        return int(raw)

    @property
    def state(self) -> StateFile:
        return StateFile(self.state_dir / "state.json")

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Serialise start/stop between CLI calls and pytest sessions sharing a state dir."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with open(self.state_dir / "lab.lock", "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self.log(f"waiting for another lab command using {self.state_dir}")
                fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


# --------------------------------------------------------------------------- state file


def write_atomic(path: Path, data: str | bytes, mode: int = 0o644) -> None:
    """Write via a temp file + rename so readers never see half a file; mode set before data."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode() if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


class StateFile:
    """`state.json`: per service, the pid (+ its start time) and addresses of what the lab started."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {"services": {}}
        except (OSError, ValueError) as exc:
            raise LabError(
                f"state file {self.path} is unreadable ({exc}); stop the lab's processes by hand "
                "(see `ss -ltnp`) and remove the file"
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
            raise LabError(f"state file {self.path} has an unexpected layout; remove it")
        return data

    def service(self, name: str) -> dict[str, Any]:
        return dict(self.read()["services"].get(name) or {})

    def update(self, name: str, entry: dict[str, Any] | None) -> None:
        data = self.read()
        if entry is None:
            data["services"].pop(name, None)
        else:
            data["services"][name] = entry
        write_atomic(self.path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def read_secrets(path: Path) -> dict[str, str]:
    try:
        return dict(json.loads(path.read_text()))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise LabError(f"secrets file {path} is unreadable ({exc}); remove it and the data it protects") from None


def write_secrets(path: Path, secrets: Mapping[str, str]) -> None:
    # 0600 from the first byte: the file holds the lab's admin password.
    write_atomic(path, json.dumps(dict(secrets), indent=2, sort_keys=True) + "\n", mode=0o600)


# --------------------------------------------------------------------------- ports


def port_is_free(port: int, host: str = HOST) -> bool:
    # SO_REUSEADDR so a TIME_WAIT leftover does not count as taken; a listener still does.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def port_owner(port: int) -> str | None:
    """Name and pid of the process listening on `port`, if `ss` can tell (root sees all)."""
    if not shutil.which("ss"):
        return None
    try:
        out = subprocess.run(
            ["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True, timeout=5
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r'users:\(\("([^"]+)",pid=(\d+)', out)
    return f"{match.group(1)} (pid {match.group(2)})" if match else None


def check_port_free(port: int, service: str, env_var: str) -> None:
    if port_is_free(port):
        return
    owner = port_owner(port)
    holder = f" by {owner}" if owner else " by another process"
    raise LabError(
        f"port {port} for {service} is already taken{holder}; "
        f"set {env_var} to a free port or stop that process"
    )


def wait_port_open(port: int, host: str = HOST, timeout: float = 0.5) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


# --------------------------------------------------------------------------- processes


def proc_start_time(pid: int, include_dead: bool = False) -> int | None:
    """Kernel start time of `pid` (clock ticks since boot), None if gone or (unless asked) a zombie.

    Stored next to the pid so a recycled pid is never mistaken for (and killed as) ours.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] in ("Z", "X") and not include_dead:
        _reap(pid)
        return None
    return int(fields[19])


def _reap(pid: int) -> None:
    # When a pytest session started the process it is our child: collect the zombie.
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def is_ours(entry: Mapping[str, Any]) -> bool:
    """True while the process recorded in `entry` lives (same pid and same start time)."""
    pid, started = entry.get("pid"), entry.get("start_time")
    return isinstance(pid, int) and pid > 0 and started is not None and proc_start_time(pid) == started


def spawn(cmd: list[str], log_path: Path, cwd: Path, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Start `cmd` detached (own session, so it outlives the CLI and can be signalled as a group)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as out:
        out.write(f"\n--- lab: {time.strftime('%F %T')} starting: {' '.join(cmd)}\n".encode())
        out.flush()
        try:
            proc = subprocess.Popen(
                cmd, cwd=cwd, env=dict(env) if env is not None else None, stdin=subprocess.DEVNULL,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        except OSError as exc:
            raise LabError(f"cannot run {cmd[0]}: {exc}") from None
    # A process that already exited is still a zombie (our child) here, so its start time is
    # readable; None only if something else reaped it, and then it counts as not running.
    return {"pid": proc.pid, "start_time": proc_start_time(proc.pid, include_dead=True), "log": str(log_path)}


def terminate(entry: Mapping[str, Any], grace: float = 20.0) -> bool:
    """SIGTERM the process group the lab started, SIGKILL after `grace` seconds.

    Returns False when there was nothing of ours to stop (already gone or pid recycled).
    """
    if not is_ours(entry):
        return False
    pid = int(entry["pid"])

    def signal_group(sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if os.getpgid(pid) == pid:
                os.killpg(pid, sig)
            else:
                os.kill(pid, sig)

    signal_group(signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not is_ours(entry):
            return True
        time.sleep(0.2)
    signal_group(signal.SIGKILL)
    for _ in range(50):
        if not is_ours(entry):
            break
        time.sleep(0.1)
    return True


def log_tail(path: Path, lines: int = 25) -> list[str]:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 64 * 1024))
            text = fh.read().decode(errors="replace")
    except OSError:
        return []
    return text.splitlines()[-lines:]


def require_tool(name: str, install_hint: str, extra_dirs: tuple[str, ...] = ("/usr/sbin", "/sbin")) -> str:
    # /usr/sbin is not on a non-root PATH, yet mariadbd lives there.
    found = shutil.which(name) or shutil.which(name, path=os.pathsep.join(extra_dirs))
    if not found:
        raise LabError(f"{name} not found; {install_hint}")
    return found


def run_checked(cmd: list[str], what: str, log_path: Path | None = None, **kwargs: Any) -> str:
    """Run a short helper command; on failure raise with its output tail, never a traceback."""
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    except (OSError, subprocess.SubprocessError) as exc:
        raise LabError(f"{what} failed: {exc}") from None
    output = (res.stdout or "") + (res.stderr or "")
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "a") as fh:
            fh.write(f"\n--- lab: {' '.join(cmd)}\n{output}")
    if res.returncode != 0:
        tail = " | ".join(line for line in output.strip().splitlines()[-5:])
        where = f" (full output in {log_path})" if log_path else ""
        raise LabError(f"{what} failed with exit code {res.returncode}: {tail}{where}")
    return str(res.stdout)


# --------------------------------------------------------------------------- caches


def cache_entry(path: Path, build: Callable[[Path], None], log: Log) -> Path:
    """Return the complete cache entry at `path`, building it first if needed.

    `build(tmp)` fills a temporary sibling directory; the `.complete` marker is written last and
    the directory renamed into place, so a crash leaves either nothing or an unmarked directory,
    which is detected here as half-written and redone.
    """
    if (path / MARKER).is_file():
        return path
    if path.exists():
        log(f"cache entry {path} is half-written (no {MARKER} marker); redoing it")
        shutil.rmtree(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{path.name}.tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
    os.chmod(tmp, 0o755)  # mkdtemp's 0700 would hide e.g. the CA certificate from other users
    try:
        build(tmp)
        (tmp / MARKER).write_text(time.strftime("%F %T\n"))
        os.rename(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


# --------------------------------------------------------------------------- services


class Service:
    """One lab service. Subclasses implement start/stop/healthy/env.

    `start` only has to launch (and do first-time setup); the runner then polls `healthy`
    and reports the log tail if it never gets there.
    """

    name: ClassVar[str]
    depends: ClassVar[tuple[str, ...]] = ()
    start_timeout: ClassVar[float] = 60.0

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @property
    def dir(self) -> Path:
        return self.ctx.state_dir / self.name

    def fetch(self) -> None:
        """Fill caches without starting; most services have nothing to fetch."""

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> bool:
        raise NotImplementedError

    def running(self) -> bool:
        """Cheap check: is what the lab started still there (no protocol round trip)."""
        raise NotImplementedError

    def healthy(self) -> bool:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        return {}

    def address(self) -> str:
        return ""

    def pid(self) -> int | None:
        return None

    def log_files(self) -> list[Path]:
        return []


class ProcessService(Service):
    """A service that is one detached process whose pid the lab records in the state file."""

    stop_grace: ClassVar[float] = 20.0

    def entry(self) -> dict[str, Any]:
        return self.ctx.state.service(self.name)

    def running(self) -> bool:
        return is_ours(self.entry())

    def pid(self) -> int | None:
        entry = self.entry()
        return int(entry["pid"]) if is_ours(entry) else None

    def launch(self, cmd: list[str], log_path: Path, env: Mapping[str, str] | None = None, **extra: Any) -> None:
        entry = spawn(cmd, log_path, cwd=self.dir, env=env)
        self.ctx.state.update(self.name, {**entry, **extra})

    def stop(self) -> bool:
        entry = self.entry()
        stopped = terminate(entry, self.stop_grace) if entry else False
        self.ctx.state.update(self.name, None)
        return stopped

    def wait_for(self, check: Callable[[], bool], what: str, timeout: float) -> None:
        """Poll `check` while our process lives; raise with the log tail if it dies or times out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            if not self.running():
                raise ServiceFailed(self, f"{self.name} exited while waiting for {what}")
            time.sleep(0.25)
        raise ServiceFailed(self, f"{self.name} did not get to {what} within {timeout:.0f} s")


class ServiceFailed(LabError):
    """A service did not come up; carries the log tail to show."""

    def __init__(self, service: Service, message: str) -> None:
        tails = [(p, log_tail(p)) for p in service.log_files()]
        self.tails = [(p, t) for p, t in tails if t]
        logs = ", ".join(str(p) for p, _ in self.tails) or "no log written"
        super().__init__(
            f"{message}; see the log lines above ({logs}), fix the cause and run "
            f"`python -m tests.lab start {service.name}` again"
        )
