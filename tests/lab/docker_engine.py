"""The lab's Docker engine and the local systemd test image.

No container registry is reachable from the lab machines, so the engine is Debian's own
``docker.io`` (started here when nothing answers) and every image is built locally from
packages: ``debootstrap`` a Debian trixie rootfs, ``docker import`` it, then an offline
``docker build`` that only adds metadata. See ``tests/lab/README-docker.md``.

Plain functions; ``tests/lab/core.py`` wraps them as the lab's ``docker`` service.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

Log = Callable[[str], None]

IMAGE_TAG = "transactions-st/debian-systemd:trixie"
# The imported rootfs gets a tag of its own only until the final image is built on top of it.
_BASE_TAG = "transactions-st/debian-systemd:trixie-rootfs"

_SUITE = "trixie"
_INCLUDE = ("python3", "systemd", "systemd-sysv", "sudo", "iproute2", "ca-certificates")
# Units that cannot work (or hang the boot) in a container without devices or a console.
_MASKED_UNITS = (
    "systemd-udevd.service",
    "systemd-udevd-control.socket",
    "systemd-udevd-kernel.socket",
    "systemd-udev-trigger.service",
    "systemd-udev-settle.service",
    "getty.target",
    "getty@.service",
    "serial-getty@.service",
    "console-getty.service",
    "systemd-firstboot.service",
    "systemd-remount-fs.service",
)
# Part of the tarball's name: a changed recipe must not reuse a rootfs built by an older one.
_RECIPE_ID = hashlib.sha256(
    repr((_SUITE, "minbase", _INCLUDE, _MASKED_UNITS)).encode()
).hexdigest()[:10]

# `docker import` on 20.10 refuses STOPSIGNAL, so it is added by a build with no context.
# systemd as PID 1 shuts down cleanly on SIGRTMIN+3, not on docker's default SIGTERM.
_DOCKERFILE = f"""\
FROM {_BASE_TAG}
STOPSIGNAL SIGRTMIN+3
LABEL org.opencontainers.image.title="transactions_st lab: Debian {_SUITE} with systemd" \\
      transactions-st.rootfs-recipe="{_RECIPE_ID}"
"""

_ENGINE_START_TIMEOUT = 60.0
_ENGINE_STOP_TIMEOUT = 45.0


class DockerLabError(RuntimeError):
    """The engine or the image could not be made; the message says what to do."""


def docker_cli() -> str:
    """The docker client to run.

    ``/usr/local/bin/docker`` (a Docker 28 CLI) shadows Debian's ``/usr/bin/docker`` on PATH.
    Both work against the 20.10 engine (28 negotiates API 1.41), but the one shipped with the
    engine is the one known to match it, so it is preferred; ``LAB_DOCKER_CLI`` overrides.
    """
    override = os.environ.get("LAB_DOCKER_CLI")
    if override:
        return override
    if os.access("/usr/bin/docker", os.X_OK):
        return "/usr/bin/docker"
    found = shutil.which("docker")
    if not found:
        raise DockerLabError("no docker client found: apt-get install docker.io")
    return found


def engine_healthy() -> bool:
    """True when the engine answers `docker info` with a server version."""
    try:
        done = subprocess.run(
            [docker_cli(), "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=15,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired, DockerLabError):
        return False
    return done.returncode == 0 and bool(done.stdout.strip())


def _engine_dir(state_dir: Path) -> Path:
    return state_dir / "docker"


def _pid_alive_as(pid: int, name: str) -> bool:
    # A recorded pid may have been reused by an unrelated process after a reboot or crash.
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() == name
    except OSError:
        return False


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def ensure_engine(state_dir: Path, log: Log) -> None:
    """Make sure a Docker engine answers; start Debian's dockerd in the background if not.

    The engine is started only when none answers, so an engine run by systemd or by the user
    is used as it is. One the lab starts has its pid in ``state_dir/docker/dockerd.pid`` and
    its log in ``state_dir/docker/dockerd.log``; only that one is ever stopped by the lab.
    """
    if engine_healthy():
        return
    dockerd = shutil.which("dockerd") or next(
        (p for p in ("/usr/sbin/dockerd", "/usr/bin/dockerd") if os.access(p, os.X_OK)), None
    )
    if dockerd is None:
        raise DockerLabError(
            "the Docker engine is not running and dockerd is not installed: "
            "apt-get install docker.io"
        )
    engine_dir = _engine_dir(state_dir)
    engine_dir.mkdir(parents=True, exist_ok=True)
    log_path = engine_dir / "dockerd.log"
    pid_path = engine_dir / "dockerd.pid"

    # A dockerd this lab started earlier may still be coming up: wait for it, don't start a second.
    proc: subprocess.Popen[bytes] | None = None
    pid = _read_pid(pid_path)
    if pid is None or not _pid_alive_as(pid, "dockerd"):
        log(f"starting dockerd ({dockerd}), log: {log_path}")
        with open(log_path, "ab") as log_file:
            proc = subprocess.Popen(
                [dockerd],
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                # Own session: the engine outlives the test run that started it and does not
                # get the terminal's Ctrl-C.
                start_new_session=True,
            )
        pid = proc.pid
        pid_path.write_text(f"{pid}\n")

    deadline = time.monotonic() + _ENGINE_START_TIMEOUT
    while time.monotonic() < deadline:
        if engine_healthy():
            log(f"docker engine up (dockerd pid {pid})")
            return
        exited = proc.poll() is not None if proc else not _pid_alive_as(pid, "dockerd")
        if exited:
            pid_path.unlink(missing_ok=True)
            raise DockerLabError(
                f"dockerd exited while starting; last lines of {log_path}:\n{_tail(log_path)}"
            )
        time.sleep(0.5)
    raise DockerLabError(
        f"dockerd (pid {pid}) did not answer within {_ENGINE_START_TIMEOUT:.0f}s; "
        f"last lines of {log_path}:\n{_tail(log_path)}"
    )


def _read_pid(pid_path: Path) -> int | None:
    try:
        return int(pid_path.read_text().strip())
    except (OSError, ValueError):
        return None


def stop_engine(state_dir: Path) -> None:
    """Stop the dockerd this lab started, if any; an engine started otherwise is left alone."""
    pid_path = _engine_dir(state_dir) / "dockerd.pid"
    pid = _read_pid(pid_path)
    if pid is None:
        return
    if _pid_alive_as(pid, "dockerd"):
        # SIGTERM lets dockerd stop its containers and its managed containerd cleanly.
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + _ENGINE_STOP_TIMEOUT
        while time.monotonic() < deadline and _pid_alive_as(pid, "dockerd"):
            time.sleep(0.5)
        if _pid_alive_as(pid, "dockerd"):
            os.kill(pid, signal.SIGKILL)
    pid_path.unlink(missing_ok=True)


def _docker(args: Sequence[str], *, input_text: str | None = None, timeout: float = 600) -> str:
    env = dict(os.environ)
    # The classic builder works offline with both CLIs; BuildKit needs buildx, absent here.
    env["DOCKER_BUILDKIT"] = "0"
    done = subprocess.run(
        [docker_cli(), *args],
        input=input_text,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise DockerLabError(
            f"`docker {' '.join(args)}` failed ({done.returncode}):\n"
            f"{done.stderr.strip() or done.stdout.strip()}"
        )
    return done.stdout


def _image_exists(tag: str) -> bool:
    try:
        _docker(["image", "inspect", "--format", "{{.Id}}", tag], timeout=30)
    except DockerLabError:
        return False
    return True


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    # Two test processes may ask for the image at once; only one may build it.
    with open(lock_path, "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def ensure_image(cache_dir: Path, log: Log) -> str:
    """Return the tag of the systemd test image, building it first if the engine lacks it.

    The debootstrap rootfs tarball is cached in ``cache_dir`` so that a wiped engine rebuilds
    the image in seconds, without the archive.
    """
    if not engine_healthy():
        raise DockerLabError("the Docker engine is not running: start the lab's docker service")
    if _image_exists(IMAGE_TAG):
        log(f"image {IMAGE_TAG} present")
        return IMAGE_TAG
    cache_dir.mkdir(parents=True, exist_ok=True)
    with _locked(cache_dir / f"debian-systemd-{_SUITE}.lock"):
        if _image_exists(IMAGE_TAG):  # built by whoever held the lock before us
            return IMAGE_TAG
        rootfs_tar = _ensure_rootfs_tarball(cache_dir, log)
        log(f"importing {rootfs_tar.name} and building {IMAGE_TAG}")
        _docker(
            [
                "import",
                "--change",
                "ENV container=docker",
                "--change",
                'CMD ["/lib/systemd/systemd"]',
                str(rootfs_tar),
                _BASE_TAG,
            ]
        )
        # "-" reads the Dockerfile from stdin with no build context; FROM is local, nothing pulls.
        _docker(["build", "--tag", IMAGE_TAG, "-"], input_text=_DOCKERFILE)
        _docker(["rmi", _BASE_TAG])  # only untags: the final image shares its layer
    log(f"image {IMAGE_TAG} built")
    return IMAGE_TAG


def _unmount_under(root: Path) -> None:
    # A killed debootstrap leaves /proc and /sys mounted inside the rootfs; removing the tree
    # without unmounting them first would reach into the host's /proc and /sys.
    prefix = str(root.resolve()) + "/"
    mounts = [
        line.split()[1].replace("\\040", " ")
        for line in Path("/proc/self/mounts").read_text().splitlines()
    ]
    for mount_point in sorted((m for m in mounts if m.startswith(prefix)), reverse=True):
        subprocess.run(["umount", "-l", mount_point], check=False)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        _unmount_under(path)
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _ensure_rootfs_tarball(cache_dir: Path, log: Log) -> Path:
    """The debootstrap rootfs as a tarball, cached; a half-written one is redone."""
    final = cache_dir / f"debian-{_SUITE}-systemd-{_RECIPE_ID}.tar"
    marker = final.with_name(final.name + ".complete")
    part = final.with_name(final.name + ".part")
    rootfs = final.with_name(final.name + ".rootfs")
    build_log = final.with_name(final.name + ".log")
    if final.is_file() and marker.is_file():
        log(f"rootfs tarball cached: {final}")
        return final
    # Called under the lock, so anything here is left over from an interrupted build.
    leftovers = [p for p in (final, marker, part, rootfs) if p.exists() or p.is_symlink()]
    if leftovers:
        log(f"removing half-written rootfs cache: {', '.join(p.name for p in leftovers)}")
        for path in leftovers:
            _remove(path)

    debootstrap = shutil.which("debootstrap") or "/usr/sbin/debootstrap"
    if not os.access(debootstrap, os.X_OK):
        raise DockerLabError("debootstrap is not installed: apt-get install debootstrap")
    mirror = os.environ.get("LAB_DEBIAN_MIRROR", "http://deb.debian.org/debian")
    log(f"debootstrap {_SUITE} from {mirror} (about a minute), log: {build_log}")
    with open(build_log, "wb") as out:
        done = subprocess.run(
            [
                debootstrap,
                "--variant=minbase",
                f"--include={','.join(_INCLUDE)}",
                _SUITE,
                str(rootfs),
                mirror,
            ],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=1800,
            check=False,
        )
    if done.returncode != 0:
        _remove(rootfs)
        raise DockerLabError(
            f"debootstrap failed ({done.returncode}); last lines of {build_log}:\n{_tail(build_log)}"
        )

    # What `systemctl mask` does, without needing systemctl on the host.
    system_dir = rootfs / "etc/systemd/system"
    system_dir.mkdir(parents=True, exist_ok=True)
    for unit in _MASKED_UNITS:
        link = system_dir / unit
        _remove(link)
        link.symlink_to("/dev/null")
    # Downloaded .debs and package lists are dead weight in a test image.
    for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for entry in (rootfs / junk).glob("*"):
            if entry.is_file():
                entry.unlink()

    subprocess.run(
        ["tar", "--numeric-owner", "-C", str(rootfs), "-cf", str(part), "."],
        check=True,
        timeout=600,
    )
    _remove(rootfs)
    os.replace(part, final)
    marker.write_text(f"{_RECIPE_ID}\n")  # written last: its presence means `final` is whole
    return final
