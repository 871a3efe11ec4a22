"""Read, in one process, what the producer role compares before each of its tasks; print it as JSON.

    python3 -I - REQUEST < read_state.py      (how the role runs it: the script on stdin)

REQUEST is a JSON object; each key asks for one kind of state, and the answer has the same key:

- "files": [path, ...] -> {path: state}. State: {"type": "absent"} when the path does not exist;
  else its type from lstat ("file", "directory", "link", "other": a symlink is not followed), owner
  and group names (the number when the id has no name), mode ("0644") and, for a regular file, the
  SHA-1 of its content. A path that cannot be read is {"type": "unreadable", "error": ...}.
- "stat_only": [path, ...] -> the same states in "files", without the checksum (for a file holding a
  secret, whose digest would be in the task's output, or one whose content does not matter).
- "user": name -> {"group", "home", "shell", "comment"} of the account, or null without one.
- "group": name -> true when the group exists.
- "packages": [name, ...] -> {name: dpkg's db:Status-Status ("installed", ...)}; a package dpkg
  does not know is missing; {} when dpkg-query is not there.
- "unit": name -> {"load", "active", "enabled", "sysv"}: systemd's LoadState and ActiveState, the
  output of `systemctl is-enabled`, and whether an init script of that name exists; null when
  systemctl does not answer.

Nothing here changes the host. The role runs a task only where the state read differs from the one
the task would leave, so an answer that is odd or missing only makes the task run.
"""

import grp
import hashlib
import json
import os
import pwd
import stat
import subprocess
import sys

TYPES = ((stat.S_ISREG, "file"), (stat.S_ISDIR, "directory"), (stat.S_ISLNK, "link"))


def _name(lookup, ident):
    try:
        return lookup(ident)[0]
    except KeyError:
        return str(ident)


def path_state(path, content=True):
    try:
        st = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return {"type": "absent"}
    except OSError as exc:
        return {"type": "unreadable", "error": str(exc)}
    state = {
        "type": next((name for test, name in TYPES if test(st.st_mode)), "other"),
        "owner": _name(pwd.getpwuid, st.st_uid),
        "group": _name(grp.getgrgid, st.st_gid),
        "mode": "%04o" % stat.S_IMODE(st.st_mode),
    }
    if content and state["type"] == "file":
        digest = hashlib.sha1(usedforsecurity=False)  # the checksum ansible.builtin.copy compares too
        try:
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(65536), b""):
                    digest.update(block)
        except OSError as exc:
            return {"type": "unreadable", "error": str(exc)}
        state["sha1"] = digest.hexdigest()
    return state


def user_state(name):
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    return {"group": _name(grp.getgrgid, entry.pw_gid), "home": entry.pw_dir, "shell": entry.pw_shell,
            "comment": entry.pw_gecos}


def group_exists(name):
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


def _run(argv):
    """(returncode, stdout) of a command, or None when it cannot be run."""
    try:
        done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=False,
                              timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.returncode, done.stdout


def package_states(names):
    # Exit code 1 only says that some package is unknown to dpkg: those lines are missing.
    done = _run(["dpkg-query", "--show", "--showformat=${Package} ${db:Status-Status}\\n"] + list(names))
    if done is None or done[0] not in (0, 1):
        return {}
    return dict(line.split(" ", 1) for line in done[1].splitlines() if " " in line)


def unit_state(name):
    show = _run(["systemctl", "show", "--property=LoadState,ActiveState", name])
    enabled = _run(["systemctl", "is-enabled", name])
    if show is None or enabled is None or show[0] != 0:
        return None
    props = dict(line.split("=", 1) for line in show[1].splitlines() if "=" in line)
    base = name[:-len(".service")] if name.endswith(".service") else name
    return {"load": props.get("LoadState", ""), "active": props.get("ActiveState", ""),
            "enabled": enabled[1].strip(), "sysv": os.path.exists(os.path.join("/etc/init.d", base))}


def read(request):
    answer = {}
    if "files" in request or "stat_only" in request:
        answer["files"] = {path: path_state(path) for path in request.get("files", [])}
        answer["files"].update({path: path_state(path, content=False) for path in request.get("stat_only", [])})
    if "user" in request:
        answer["user"] = user_state(request["user"])
    if "group" in request:
        answer["group"] = group_exists(request["group"])
    if "packages" in request:
        answer["packages"] = package_states(request["packages"]) if request["packages"] else {}
    if "unit" in request:
        answer["unit"] = unit_state(request["unit"])
    return answer


def main(argv):
    if len(argv) != 1:
        sys.stderr.write("usage: read_state.py REQUEST (a JSON object)\n")
        return 2
    print(json.dumps(read(json.loads(argv[0])), sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
