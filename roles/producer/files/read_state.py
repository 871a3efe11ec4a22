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
- "requirements": {"python": a virtualenv's interpreter, "text": a requirements file's content} ->
  true when `pip install -r` of that file would find everything already installed there: each line
  is `name==version` and that distribution is installed at that version (importlib.metadata, which
  pip reads too), and so is, by name, every requirement those distributions declare that applies
  (markers: extras, which `-r` of pinned names does not ask for, and python_version). Anything else
  (another kind of line, a version range or another marker in a dependency, an interpreter that does
  not run) is false: pip runs and decides.

Nothing here changes the host. The role runs a task only where the state read differs from the one
the task would leave, so an answer that is odd or missing only makes the task run.
"""

import grp
import hashlib
import json
import os
import pwd
import re
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
    return {
        "group": _name(grp.getgrgid, entry.pw_gid),
        "home": entry.pw_dir,
        "shell": entry.pw_shell,
        "comment": entry.pw_gecos,
    }


def group_exists(name):
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


def _run(argv):
    """(returncode, stdout) of a command, or None when it cannot be run."""
    try:
        done = subprocess.run(
            argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=False, timeout=60
        )
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
    base = name[: -len(".service")] if name.endswith(".service") else name
    return {
        "load": props.get("LoadState", ""),
        "active": props.get("ActiveState", ""),
        "enabled": enabled[1].strip(),
        "sysv": os.path.exists(os.path.join("/etc/init.d", base)),
    }


# The installed distributions as the virtualenv's interpreter sees them, and its version.
LIST_DISTRIBUTIONS = (
    "import importlib.metadata as m, json, sys; print(json.dumps({'python': list(sys.version_info[:2]), "
    "'dists': [[d.metadata['Name'], d.version, d.requires or []] for d in m.distributions() if d.metadata['Name']]}))"
)
PIN = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9._+!-]+)")
DEPENDENCY = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?")
CLAUSE = re.compile(r"""(extra|python_version)\s*(==|!=|<=|>=|<|>)\s*["']([^"']*)["']""")
COMPARE = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _normal(name):
    """PEP 503: how pip compares names."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_pins(text):
    """{normalized name: version} of a requirements file of `name==version` lines, or None."""
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = PIN.fullmatch(line)
        if not match:
            return None
        pins[_normal(match.group(1))] = match.group(2)
    return pins


def applies(marker, python):
    """Whether a dependency's marker applies without extras: True, False, or None (cannot say)."""
    if not marker.strip():
        return True
    result = True
    for clause in re.split(r"\s+and\s+", marker.strip()):
        match = CLAUSE.fullmatch(clause.strip())
        if not match:
            return None
        variable, operator, value = match.groups()
        if variable == "extra":
            # Asked for by no `name==version` line.
            result = False
            continue
        try:
            wanted = tuple(int(part) for part in value.split("."))
        except ValueError:
            return None
        result = result and COMPARE[operator](tuple(python[: len(wanted)]), wanted)
    return result


def pins_satisfied(pins, dists, python):
    """Whether pip would find every pin, and every dependency that applies, installed (see above)."""
    installed = {_normal(name): (version, requires) for name, version, requires in dists}
    todo, seen = list(pins), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name not in installed or (name in pins and installed[name][0] != pins[name]):
            return False
        for requirement in installed[name][1]:
            spec, _sep, marker = requirement.partition(";")
            wanted = applies(marker, python)
            if wanted is None:
                return False
            if not wanted:
                continue
            match = DEPENDENCY.fullmatch(spec.strip())
            if not match or match.group(2):
                return False  # a version range or extras: pip decides
            todo.append(_normal(match.group(1)))
    return True


def requirements_state(request):
    pins = parse_pins(request.get("text", ""))
    if pins is None:
        return False
    done = _run([request["python"], "-I", "-c", LIST_DISTRIBUTIONS])
    if done is None or done[0] != 0:
        return False
    try:
        answer = json.loads(done[1])
        return pins_satisfied(pins, answer["dists"], answer["python"])
    except (ValueError, KeyError, TypeError):
        return False


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
    if "requirements" in request:
        answer["requirements"] = requirements_state(request["requirements"])
    return answer


def main(argv):
    if len(argv) != 1:
        sys.stderr.write("usage: read_state.py REQUEST (a JSON object)\n")
        return 2
    print(json.dumps(read(json.loads(argv[0])), sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
