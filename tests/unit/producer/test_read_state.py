"""roles/producer/files/read_state.py: the one read of the host the producer role's tasks are gated on.

What it reports must make a task run whenever the module would change something: a wrong "equal"
would skip a repair. So: exact types from lstat (a symlink is not followed), owners by name, the
mode, the SHA-1 of the content, nothing that is not asked for, and an odd answer where it cannot
read, never a crash.
"""

from __future__ import annotations

import grp
import hashlib
import importlib.util
import json
import os
import pwd
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "roles" / "producer" / "files" / "read_state.py"


@pytest.fixture(scope="module")
def rs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("read_state", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def me() -> tuple[str, str]:
    return pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name


def test_file_directory_link_and_absent(rs: ModuleType, tmp_path: Path) -> None:
    owner, group = me()
    program = tmp_path / "tx_producer.py"
    program.write_bytes(b"print('hi')\n")
    program.chmod(0o640)
    link = tmp_path / "link"
    link.symlink_to(program)
    answer = rs.read(
        {"files": [str(program), str(tmp_path), str(link), str(tmp_path / "nope"), str(program / "under-a-file")]}
    )["files"]
    assert answer[str(program)] == {
        "type": "file",
        "owner": owner,
        "group": group,
        "mode": "0640",
        "sha1": hashlib.sha1(b"print('hi')\n").hexdigest(),
    }
    assert answer[str(tmp_path)]["type"] == "directory" and "sha1" not in answer[str(tmp_path)]
    assert answer[str(link)]["type"] == "link" and "sha1" not in answer[str(link)]
    assert answer[str(tmp_path / "nope")] == {"type": "absent"}
    assert answer[str(program / "under-a-file")] == {"type": "absent"}


def test_mode_keeps_special_bits(rs: ModuleType, tmp_path: Path) -> None:
    directory = tmp_path / "d"
    directory.mkdir()
    directory.chmod(0o2750)
    assert rs.path_state(str(directory))["mode"] == "2750"


def test_stat_only_has_no_checksum(rs: ModuleType, tmp_path: Path) -> None:
    secret = tmp_path / "secrets.env"
    secret.write_text('TX_PRODUCER_SASL_PASSWORD="s3cret"\n')
    answer = rs.read({"stat_only": [str(secret)]})
    assert set(answer) == {"files"}
    assert answer["files"][str(secret)]["type"] == "file" and "sha1" not in answer["files"][str(secret)]


def test_unreadable_path_is_never_equal_to_a_wanted_state(rs: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(_path: str) -> os.stat_result:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(rs.os, "lstat", denied)
    state = rs.path_state("/etc/tx-producer/producer.json")
    assert state["type"] == "unreadable" and "Permission denied" in state["error"]


def test_user_and_group(rs: ModuleType) -> None:
    root = pwd.getpwnam("root")
    answer = rs.read({"user": "root", "group": "root"})
    assert answer["user"] == {
        "group": grp.getgrgid(root.pw_gid).gr_name,
        "home": root.pw_dir,
        "shell": root.pw_shell,
        "comment": root.pw_gecos,
    }
    assert answer["group"] is True
    assert rs.read({"user": "no-such-user-tst", "group": "no-such-group-tst"}) == {"user": None, "group": False}


def test_packages_and_unit_without_the_tools(rs: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    """No dpkg-query, no systemctl: nothing is claimed (the tasks then run)."""
    monkeypatch.setattr(rs, "_run", lambda argv: None)
    assert rs.read({"packages": ["python3-venv"], "unit": "tx-producer.service"}) == {"packages": {}, "unit": None}
    assert rs.read({"packages": []}) == {"packages": {}}


def test_packages_from_dpkg_query(rs: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    # dpkg-query exits 1 when one of the packages is unknown to it: the others still count.
    monkeypatch.setattr(rs, "_run", lambda argv: (1, "python3-venv installed\npython3-pip config-files\n"))
    assert rs.package_states(["python3-venv", "python3-pip", "unknown"]) == {
        "python3-venv": "installed",
        "python3-pip": "config-files",
    }
    monkeypatch.setattr(rs, "_run", lambda argv: (2, ""))
    assert rs.package_states(["python3-venv"]) == {}


def test_unit_from_systemctl(rs: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = {"show": (0, "LoadState=loaded\nActiveState=active\n"), "is-enabled": (0, "enabled\n")}
    calls = []

    def run(argv: list[str]) -> tuple[int, str]:
        calls.append(argv)
        return answers[argv[1]]

    monkeypatch.setattr(rs, "_run", run)
    assert rs.unit_state("tx-producer.service") == {
        "load": "loaded",
        "active": "active",
        "enabled": "enabled",
        "sysv": os.path.exists("/etc/init.d/tx-producer"),
    }
    assert calls[0] == ["systemctl", "show", "--property=LoadState,ActiveState", "tx-producer.service"]
    answers["show"] = (1, "")
    assert rs.unit_state("tx-producer.service") is None


def test_as_the_role_runs_it(tmp_path: Path) -> None:
    """`python3 -I - REQUEST` with the script on stdin, as tasks/present.yml runs it; bad usage exits 2."""
    (tmp_path / "f").write_text("x")
    request = {"files": [str(tmp_path / "f")], "group": "root"}
    done = subprocess.run(
        [sys.executable, "-I", "-", json.dumps(request)],
        input=SCRIPT.read_text(),
        capture_output=True,
        text=True,
        check=True,
    )
    answer = json.loads(done.stdout)
    assert answer["files"][str(tmp_path / "f")]["sha1"] == hashlib.sha1(b"x").hexdigest()
    assert answer["group"] is True
    bad = subprocess.run([sys.executable, "-I", "-"], input=SCRIPT.read_text(), capture_output=True, text=True)
    assert bad.returncode == 2 and "usage" in bad.stderr


def test_requirement_pins_are_parsed_or_refused(rs: ModuleType) -> None:
    """Only `name==version` lines count; any other line means "let pip decide" (None)."""
    assert rs.parse_pins("# comment\n\nconfluent-kafka==2.16.1  # pinned\nPyMySQL==1.1.1\n") == {
        "confluent-kafka": "2.16.1",
        "pymysql": "1.1.1",
    }
    assert rs.parse_pins("confluent_kafka==2.16.1\n") == {"confluent-kafka": "2.16.1"}
    for line in (
        "confluent-kafka>=2.16",
        "confluent-kafka[avro]==2.16.1",
        "--index-url https://example.org/simple",
        "-r other.txt",
        "confluent-kafka==2.16.1; python_version < '3.11'",
        "confluent-kafka",
    ):
        assert rs.parse_pins(f"{line}\n") is None, line


def test_markers_without_extras(rs: ModuleType) -> None:
    assert rs.applies("", (3, 13)) is True
    assert rs.applies(' extra == "avro"', (3, 13)) is False
    assert rs.applies(' python_version < "3.11"', (3, 13)) is False
    assert rs.applies(' python_version < "3.11"', (3, 9)) is True
    assert rs.applies(' python_version >= "3.10" and extra == "dev"', (3, 13)) is False
    assert rs.applies(" python_version >= '3.10' and python_version != '3.12'", (3, 13)) is True
    # What this reader does not evaluate: None, so the caller lets pip decide.
    assert rs.applies(' sys_platform == "linux"', (3, 13)) is None
    assert rs.applies(' python_version < "3.11" or extra == "x"', (3, 13)) is None


def test_pins_satisfied_as_pip_would_find_them(rs: ModuleType) -> None:
    kafka = [
        "confluent-kafka",
        "2.16.1",
        ['typing-extensions; python_version < "3.11"', 'attrs>=21.2.0; extra == "json"'],
    ]
    assert rs.pins_satisfied({"confluent-kafka": "2.16.1"}, [kafka, ["pip", "25.1.1", []]], (3, 13)) is True
    # Another version, or not installed: pip would install.
    assert rs.pins_satisfied({"confluent-kafka": "2.16.0"}, [kafka], (3, 13)) is False
    assert rs.pins_satisfied({"confluent-kafka": "2.16.1"}, [["pip", "25.1.1", []]], (3, 13)) is False
    # A dependency that applies (Python 3.9) must be installed, and its own dependencies too.
    assert rs.pins_satisfied({"confluent-kafka": "2.16.1"}, [kafka], (3, 9)) is False
    typing_ext = ["typing_extensions", "4.12.2", ["helper"]]
    assert rs.pins_satisfied({"confluent-kafka": "2.16.1"}, [kafka, typing_ext], (3, 9)) is False
    assert rs.pins_satisfied({"confluent-kafka": "2.16.1"}, [kafka, typing_ext, ["Helper", "1", []]], (3, 9)) is True
    # A version range or extras on a dependency that applies: not judged here.
    ranged = ["confluent-kafka", "2.16.1", ["attrs>=21.2.0"]]
    assert rs.pins_satisfied({"confluent-kafka": "2.16.1"}, [ranged, ["attrs", "25.1.0", []]], (3, 13)) is False
    with_extras = ["confluent-kafka", "2.16.1", ["attrs[tests]"]]
    assert rs.pins_satisfied({"confluent-kafka": "2.16.1"}, [with_extras, ["attrs", "25.1.0", []]], (3, 13)) is False


def test_requirements_state_never_claims_what_it_could_not_read(
    rs: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    listing = json.dumps({"python": [3, 13], "dists": [["confluent-kafka", "2.16.1", []]]})
    request = {"python": "/opt/tx-producer/venv/bin/python", "text": "confluent-kafka==2.16.1\n"}
    calls = []

    def run(argv: list[str]) -> tuple[int, str]:
        calls.append(argv)
        return 0, listing

    monkeypatch.setattr(rs, "_run", run)
    assert rs.read({"requirements": request}) == {"requirements": True}
    assert calls[0][:3] == ["/opt/tx-producer/venv/bin/python", "-I", "-c"]
    assert rs.requirements_state({**request, "text": "confluent-kafka>=2\n"}) is False
    monkeypatch.setattr(rs, "_run", lambda argv: None)  # no interpreter there (no venv yet)
    assert rs.requirements_state(request) is False
    monkeypatch.setattr(rs, "_run", lambda argv: (1, ""))
    assert rs.requirements_state(request) is False
    monkeypatch.setattr(rs, "_run", lambda argv: (0, "not json"))
    assert rs.requirements_state(request) is False


def test_requirements_in_a_real_interpreter() -> None:
    """The listing runs in the given interpreter (here this one): an installed pin is satisfied."""
    import importlib.metadata  # pylint: disable=import-outside-toplevel

    version = importlib.metadata.version("PyMySQL")  # its dependencies are all behind extras
    script = SCRIPT.read_text()

    def ask(text: str) -> bool:
        request = {"requirements": {"python": sys.executable, "text": text}}
        done = subprocess.run(
            [sys.executable, "-I", "-", json.dumps(request)], input=script, capture_output=True, text=True, check=True
        )
        return bool(json.loads(done.stdout)["requirements"])

    assert ask(f"PyMySQL=={version}\n") is True
    assert ask(f"PyMySQL=={version}.post999\n") is False
    assert ask("no-such-distribution-tst==1.0\n") is False
