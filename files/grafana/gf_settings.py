# -*- coding: utf-8 -*-
# Copyright: contributors to transactions_st.realtime
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the list of GF_* environment variables a Grafana version reads, from its conf/defaults.ini.

Grafana applies an environment variable only to a key that exists in its loaded ini files: for every
section and key of defaults.ini it looks up ``GF_<SECTION>_<KEY>`` (upper case, ``.`` and ``-`` as
``_``) and ignores every other GF_* name, silently (grafana/grafana ``pkg/setting/setting.go``,
``applyEnvVariableOverrides`` and ``EnvKey``). The grafana role checks every GF_* variable it would
set against the list this script writes (``roles/grafana/files/gf_settings.txt``), so a misspelt or
removed setting fails the role instead of being ignored.

Regenerate the list from the pinned image's own file, e.g.::

    docker run --rm --entrypoint cat grafana/grafana:13.2.0 /usr/share/grafana/conf/defaults.ini > /tmp/defaults.ini
    python files/grafana/gf_settings.py /tmp/defaults.ini --grafana 13.2.0 \\
        --source "conf/defaults.ini of the grafana/grafana:13.2.0 image"

Everything after the line ``# -- not from the defaults.ini above`` in the existing list is kept as it is
(names known from other sources, each with its source in a comment); delete what the new file covers.
``--check`` exits 1 when the list differs from what it would write.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Iterable, List, Optional

REPO = Path(__file__).resolve().parents[2]
LIST_FILE = REPO / "roles" / "grafana" / "files" / "gf_settings.txt"
KEPT_MARKER = "# -- not from the defaults.ini above"
DEFAULT_SECTION = "DEFAULT"  # go-ini's name for the keys before the first [section]

_SECTION_RE = re.compile(r"^\[([^\]]+)\]\s*$")
_KEY_RE = re.compile(r"^([^=\s;#][^=]*?)\s*=")


def env_key(section: str, key: str) -> str:
    """``GF_<SECTION>_<KEY>`` as Grafana derives it from an ini section and key."""
    name = f"GF_{section}_{key}".upper()
    return name.replace(".", "_").replace("-", "_")


def ini_env_names(text: str) -> List[str]:
    """Every GF_* name the keys of an ini text map to, in file order, without duplicates.

    Comment lines (``#``, ``;``) are not keys: Grafana does not load them, so their names cannot be set.
    """
    section = DEFAULT_SECTION
    names: List[str] = []
    in_triple = False
    for raw in text.splitlines():
        line = raw.strip()
        if in_triple:
            in_triple = line.count('"""') % 2 == 0
            continue
        if not line or line[0] in "#;":
            continue
        match = _SECTION_RE.match(line)
        if match:
            section = match.group(1).strip()
            continue
        match = _KEY_RE.match(line)
        if not match:
            continue
        if line.count('"""') % 2 == 1:  # a value continued on the next lines
            in_triple = True
        name = env_key(section, match.group(1).strip())
        if name not in names:
            names.append(name)
    return names


def kept_lines(current: str) -> List[str]:
    """The lines of an existing list from KEPT_MARKER on (empty when there is no marker)."""
    lines = current.splitlines()
    for index, line in enumerate(lines):
        if line.strip() == KEPT_MARKER:
            return lines[index:]
    return []


def render(names: Iterable[str], grafana: str, source: str, kept: List[str]) -> str:
    header = [
        f"# grafana: {grafana}",
        f"# source: {source}",
        "# The GF_* environment variables Grafana applies: one per key of its conf/defaults.ini, written by",
        "# files/grafana/gf_settings.py (see there for how to regenerate it). roles/grafana fails on any other",
        "# GF_* name it would set (Grafana would ignore it silently), unless grafana_extra_env_unchecked lists it.",
    ]
    return "\n".join(header + list(names) + kept) + "\n"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n", 1)[0])
    parser.add_argument("ini", type=Path, help="a Grafana conf/defaults.ini")
    parser.add_argument("--grafana", required=True, help="the Grafana version the file belongs to")
    parser.add_argument("--source", required=True, help="where the file comes from (repository + path + tag, or image)")
    parser.add_argument("--output", type=Path, default=LIST_FILE)
    parser.add_argument("--check", action="store_true", help="exit 1 if --output differs from what would be written")
    args = parser.parse_args(argv)
    current = args.output.read_text(encoding="utf-8") if args.output.is_file() else ""
    text = render(ini_env_names(args.ini.read_text(encoding="utf-8")), args.grafana, args.source, kept_lines(current))
    if args.check:
        if current != text:
            print(f"{args.output} is not what {args.ini} gives: run without --check", file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
