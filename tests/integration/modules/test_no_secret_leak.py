"""A -vvv run must not show any password anywhere."""

from __future__ import annotations

import uuid

from _ansible import login_options, query, run_steps, step


def test_passwords_never_in_vvv_output(tmp_path, maria) -> None:
    tag = uuid.uuid4().hex[:8]
    user, secret = f"leak_{tag}", f"Sekr3t-{tag}-pw"
    login = login_options(maria)
    try:
        steps = [
            step("singlestore_user", {"user": user, "password": secret, "privileges": {"*.*": ["PROCESS"]}}, check=True),
            step("singlestore_user", {"user": user, "password": secret, "privileges": {"*.*": ["PROCESS"]}}),
            step("singlestore_user", {"user": user, "password": secret + "x", "update_password": "always"}),
            step("singlestore_user", {"user": user, "password": "bad'pw;\n", "update_password": "always", "privileges": {"x.nope": ["SELECT"]}}),
            step("singlestore_info", {"gather_subset": ["server"], "login_password": "wrong-" + secret}),
        ]
        run = run_steps(tmp_path, login, steps, verbosity=3)
        assert [r.get("failed", False) for r in run.results] == [False, False, False, True, True]
        assert "<" + "TASK" not in run.output  # sanity: the output is the real verbose log
        assert "ESTABLISH LOCAL CONNECTION" in run.output
        for word in (secret, maria["password"], "bad'pw"):
            assert word not in run.output, f"secret {word[:4]}... found in the -vvv output"
        results_text = repr(run.results)
        for word in (secret, maria["password"]):
            assert word not in results_text
    finally:
        query(maria, "DROP USER IF EXISTS %s@%s", (user, "%"))
