"""Every role has a README.md whose "Variables" section is what scripts/role_readme.py makes of its
meta/argument_specs.yml: a changed argument spec without a regenerated README fails here."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
SPEC = importlib.util.spec_from_file_location("role_readme", ROOT / "scripts" / "role_readme.py")
assert SPEC and SPEC.loader
role_readme = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(role_readme)


def test_every_role_has_a_readme_and_an_argument_spec() -> None:
    for role in sorted(p for p in (ROOT / "roles").iterdir() if p.is_dir()):
        assert (role / "README.md").is_file(), f"{role.name} has no README.md"
        assert (role / "meta" / "argument_specs.yml").is_file(), f"{role.name} has no meta/argument_specs.yml"


def test_every_readme_is_up_to_date_with_its_argument_specs() -> None:
    stale = [str(p.relative_to(ROOT)) for p in role_readme.stale(ROOT)]
    assert stale == [], f"out of date, run scripts/role_readme.py: {stale}"


def test_every_option_is_in_its_readme() -> None:
    for role in role_readme.roles(ROOT):
        text = (role / "README.md").read_text()
        for entry, spec in role_readme.load_specs(role).items():
            for name in spec.get("options") or {}:
                assert f"| `{name}` |" in text, f"{role.name} ({entry}): {name} missing from README.md"


def copy_role(tmp_path: Path, name: str = "kafka") -> Path:
    role = tmp_path / "roles" / name
    shutil.copytree(ROOT / "roles" / name / "meta", role / "meta")
    shutil.copy(ROOT / "roles" / name / "README.md", role / "README.md")
    return role


def test_check_fails_on_a_changed_spec_and_regeneration_keeps_the_prose(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    role = copy_role(tmp_path)
    assert role_readme.main(["--check", "--root", str(tmp_path)]) == 0
    spec_file = role / "meta" / "argument_specs.yml"
    specs = yaml.safe_load(spec_file.read_text())
    specs["argument_specs"]["main"]["options"]["kafka_pull"]["default"] = "always"
    spec_file.write_text(yaml.safe_dump(specs))

    assert role_readme.main(["--check", "--root", str(tmp_path)]) == 1
    assert "roles/kafka/README.md is out of date" in capsys.readouterr().out
    before = (role / "README.md").read_text()
    assert role_readme.main(["--root", str(tmp_path)]) == 0
    after = (role / "README.md").read_text()
    assert "| `kafka_pull` | str (`always`, `missing`, `never`, `policy`) | `always` |" in after
    # Only the generated section changed: the hand-written part before it is kept as it was.
    assert after.split(role_readme.BEGIN)[0] == before.split(role_readme.BEGIN)[0]
    assert role_readme.main(["--check", "--root", str(tmp_path)]) == 0


def test_a_role_without_readme_gets_one(tmp_path: Path) -> None:
    role = copy_role(tmp_path, "compose_project")
    (role / "README.md").unlink()
    assert role_readme.main(["--check", "--root", str(tmp_path)]) == 1
    assert role_readme.main(["--root", str(tmp_path)]) == 0
    text = (role / "README.md").read_text()
    assert text.startswith("# transactions_st.realtime.compose_project\n")
    assert "| `compose_project_dir` | path | required |" in text


def test_markup_becomes_markdown() -> None:
    text = "C(a) O(b=c) V(d) M(e.f) I(it) B(bold) U(https://u.test) L(the text, https://l.test) a|b\n  next"
    assert role_readme.markdown(text) == (
        "`a` `b=c` `d` `e.f` *it* **bold** https://u.test [the text](https://l.test) a\\|b next"
    )
