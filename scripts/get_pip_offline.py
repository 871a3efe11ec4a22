"""Offline stand-in for ansible-test's pip bootstrap script (get-pip.py).

ansible-test bootstraps pip in its sanity venvs by downloading get-pip.py from a host that is
not reachable here. get-pip.py does nothing more than run `pip install <args>` from a pip that
it carries; this does the same from a pip wheel that scripts/bootstrap.sh fetched from PyPI.
bootstrap.sh copies this file to ~/.ansible/test/cache/get_pip_<version>.py with the wheel
path filled in.
"""
import sys

PIP_WHEEL = "@PIP_WHEEL@"

sys.path.insert(0, PIP_WHEEL)
from pip._internal.cli.main import main  # noqa: E402  pylint: disable=wrong-import-position

# get-pip.py's own flags, which `pip install` does not know.
OWN_FLAGS = {"--no-setuptools", "--no-wheel"}
args = [a for a in sys.argv[1:] if a not in OWN_FLAGS and not a.startswith("pip==")]
sys.exit(main(["install", "--upgrade", "--force-reinstall", PIP_WHEEL] + args))
