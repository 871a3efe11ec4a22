# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kafka_cluster_id: made once, kept, check mode writes nothing, diff, idempotence, bad files refused untouched."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from ansible.module_utils.testing import patch_module_args

_COLLECTIONS = Path(__file__).resolve().parents[4] / "collections"
if str(_COLLECTIONS) not in sys.path:  # resolve ansible_collections.transactions_st.realtime through the committed symlink
    sys.path.insert(0, str(_COLLECTIONS))

from ansible_collections.transactions_st.realtime.plugins.module_utils import _kafka_cluster_id  # noqa: E402
from ansible_collections.transactions_st.realtime.plugins.module_utils._kafka_cluster_id import decode  # noqa: E402
from ansible_collections.transactions_st.realtime.plugins.modules import kafka_cluster_id  # noqa: E402


def run(capsys: pytest.CaptureFixture[str], path: Path | str, check: bool = False, diff: bool = True) -> dict[str, Any]:
    """Run the module's main() as Ansible would; return its JSON result (failed or not)."""
    args = {"path": str(path), "_ansible_check_mode": check, "_ansible_diff": diff}
    with patch_module_args(args), pytest.raises(SystemExit):
        kafka_cluster_id.main()
    return json.loads(capsys.readouterr().out)


def listing(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.iterdir()}


def test_fresh_host_makes_an_id_once_then_keeps_it(tmp_path: Path, capsys) -> None:
    path = tmp_path / "cluster.id"
    first = run(capsys, path)
    assert first["changed"] is True and first["generated"] is True
    assert len(decode(first["cluster_id"])) == 16 and not first["cluster_id"].startswith("-")
    assert path.read_text() == first["cluster_id"] + "\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first["diff"] == {"before": "", "after": first["cluster_id"] + "\n",
                             "before_header": str(path), "after_header": str(path)}
    assert sorted(os.listdir(tmp_path)) == ["cluster.id"]  # no temporary file left behind

    second = run(capsys, path)
    assert second["changed"] is False and second["generated"] is False
    assert second["cluster_id"] == first["cluster_id"]
    assert "diff" not in second
    assert path.read_text() == first["cluster_id"] + "\n"


def test_check_mode_on_a_fresh_host_writes_nothing(tmp_path: Path, capsys) -> None:
    path = tmp_path / "cluster.id"
    result = run(capsys, path, check=True)
    assert result["changed"] is True and result["generated"] is True
    assert result["cluster_id"] is None
    assert result["diff"]["before"] == "" and "drawn at the first real run" in result["diff"]["after"]
    assert not path.exists() and listing(tmp_path) == {}


def test_check_mode_on_an_existing_id_reports_it_unchanged(tmp_path: Path, capsys) -> None:
    path = tmp_path / "cluster.id"
    path.write_text("q1Sh-9_ODXmNsuvZH8wK1w\n")
    result = run(capsys, path, check=True)
    assert result["changed"] is False and result["cluster_id"] == "q1Sh-9_ODXmNsuvZH8wK1w"


def test_no_diff_unless_asked(tmp_path: Path, capsys) -> None:
    result = run(capsys, tmp_path / "cluster.id", diff=False)
    assert result["changed"] is True and "diff" not in result


@pytest.mark.parametrize("content", [
    "-eMCtK--X86sw5L6g3nShT\n",  # made by the old role with a leading "-": kept, never regenerated
    "q1Sh-9_ODXmNsuvZH8wK1w",  # no newline
    "  q1Sh-9_ODXmNsuvZH8wK1w \n\n",
])
def test_an_existing_id_is_kept_as_it_is(tmp_path: Path, capsys, content: str) -> None:
    path = tmp_path / "cluster.id"
    path.write_text(content)
    path.chmod(0o640)
    result = run(capsys, path)
    assert result["changed"] is False and result["generated"] is False
    assert result["cluster_id"] == content.strip()
    assert path.read_text() == content and stat.S_IMODE(path.stat().st_mode) == 0o640


@pytest.mark.parametrize("content, why", [
    (b"", "got 0 characters"),
    (b"q1Sh-9_ODXmNsuvZH8wK1w==\n", "got 24 characters"),
    (b"q1Sh+9/ODXmNsuvZH8wK1w\n", "outside that alphabet"),
    (b"5ba6ab2e-4e4d-4b1a-9a6e-2a4c3c1d9e0f\n", "got 36 characters"),
    (b"\xff\xfe not text", "not ASCII text"),
    (b"A" * 5000, "larger than 4096 bytes"),
])
def test_a_file_without_an_id_is_refused_and_left_alone(tmp_path: Path, capsys, content: bytes, why: str) -> None:
    path = tmp_path / "cluster.id"
    path.write_bytes(content)
    for check in (True, False):
        result = run(capsys, path, check=check)
        assert result["failed"] is True and result["changed"] is False
        assert why in result["msg"] and str(path) in result["msg"]
        assert path.read_bytes() == content and listing(tmp_path) == {"cluster.id": content}


def test_the_error_does_not_print_the_files_content(tmp_path: Path, capsys) -> None:
    path = tmp_path / "cluster.id"
    path.write_text("password=hunter2-not-an-id\n")
    result = run(capsys, path)
    assert result["failed"] is True
    assert "hunter2" not in json.dumps(result)


def test_a_directory_in_the_way_is_refused(tmp_path: Path, capsys) -> None:
    (tmp_path / "cluster.id").mkdir()
    result = run(capsys, tmp_path / "cluster.id")
    assert result["failed"] is True and "not a regular file" in result["msg"]


def test_a_missing_directory_fails_a_real_run_and_is_predicted_in_check_mode(tmp_path: Path, capsys) -> None:
    path = tmp_path / "missing" / "cluster.id"
    result = run(capsys, path)
    assert result["failed"] is True and result["changed"] is False
    assert "does not exist; create it" in result["msg"]
    # In check mode the task that creates the directory did not run: predict, do not fail.
    predicted = run(capsys, path, check=True)
    assert predicted["changed"] is True and predicted["cluster_id"] is None and "failed" not in predicted
    assert not (tmp_path / "missing").exists()


def test_an_unreadable_file_is_refused(tmp_path: Path, capsys, monkeypatch) -> None:
    path = tmp_path / "cluster.id"
    path.write_text("q1Sh-9_ODXmNsuvZH8wK1w\n")
    real_open = open

    def denied(file, *args, **kwargs):
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", denied)
    result = run(capsys, path)
    assert result["failed"] is True and "cannot read" in result["msg"] and "Permission denied" in result["msg"]


def test_a_file_written_meanwhile_is_kept_not_replaced(tmp_path: Path, monkeypatch) -> None:
    """Between the existence check and the write another run made the file: its id wins, no change reported."""
    path = tmp_path / "cluster.id"
    real_link = os.link

    def someone_else_first(src, dst, *args, **kwargs):
        Path(dst).write_text("_aaaaaaaaaaaaaaaaaaaaa\n")
        return real_link(src, dst, *args, **kwargs)

    monkeypatch.setattr(_kafka_cluster_id.os, "link", someone_else_first)
    result = _kafka_cluster_id.ensure_cluster_id(str(path), check_mode=False)
    assert result["cluster_id"] == "_aaaaaaaaaaaaaaaaaaaaa"
    assert result["changed"] is False and result["generated"] is False
    assert listing(tmp_path) == {"cluster.id": b"_aaaaaaaaaaaaaaaaaaaaa\n"}


def test_the_redraw_reaches_the_file(tmp_path: Path) -> None:
    """An id that would start with '-' is drawn again before anything is written."""
    draws = iter([bytes([0xF8]) + bytes(15), bytes([0x10]) + bytes(15)])
    path = tmp_path / "cluster.id"
    result = _kafka_cluster_id.ensure_cluster_id(str(path), check_mode=False, random_bytes=lambda n: next(draws))
    assert result["cluster_id"].startswith("E") and path.read_text() == result["cluster_id"] + "\n"
