# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stack_host container's name: from LAB_STACK_HOST_CONTAINER, and the recorded one once started."""

from __future__ import annotations

from tests.lab.core import Context
from tests.lab.services.stack_host import DEFAULT_CONTAINER, StackHost


def service(tmp_path, environ):
    ctx = Context(tmp_path / "state", tmp_path / "cache", environ)
    return StackHost(ctx)


def test_the_default_name_unless_the_variable_names_another(tmp_path):
    assert service(tmp_path, {}).env() == {"LAB_STACK_HOST_CONTAINER": DEFAULT_CONTAINER}
    assert service(tmp_path, {"LAB_STACK_HOST_CONTAINER": " "}).env() == {"LAB_STACK_HOST_CONTAINER": DEFAULT_CONTAINER}
    assert service(tmp_path, {"LAB_STACK_HOST_CONTAINER": "tst-b"}).env() == {"LAB_STACK_HOST_CONTAINER": "tst-b"}


def test_a_started_container_keeps_its_recorded_name(tmp_path):
    started = service(tmp_path, {"LAB_STACK_HOST_CONTAINER": "tst-a"})
    started.ctx.state.update("stack_host", {"container": "tst-a"})
    # another shell with another (or no) name set still addresses, and stops, the one that runs
    later = service(tmp_path, {})
    assert later.env() == {"LAB_STACK_HOST_CONTAINER": "tst-a"}
    assert later.address() == "container tst-a (host network)"
