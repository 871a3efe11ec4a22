# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How every module hides a secret value that could reach its output (messages, queries, diffs): known
values (``scrub``), and in text the server prints, a CREDENTIALS clause and secret-looking JSON keys."""

from __future__ import annotations

import json
import re
from typing import Any, Iterable

SECRET_PLACEHOLDER = "********"


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every non-empty secret replaced by the placeholder."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, SECRET_PLACEHOLDER)
    return text


_SECRET_KEY = r"[^\"']*(?:password|passwd|secret|token|credential|private|key)[^\"']*"
_SECRET_JSON = re.compile(r"(\"" + _SECRET_KEY + r"\"\s*:\s*)(\"(?:[^\"\\]|\\.)*\"|[^,}\s]+)", re.IGNORECASE)
_CREDENTIALS_CLAUSE = re.compile(r"(CREDENTIALS\s+)('(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.|\"\")*\")", re.IGNORECASE)


def scrub_text(text: Any, secrets: Iterable[str] = ()) -> Any:
    """Remove credentials from server text: a CREDENTIALS '...' clause, secret-looking JSON keys, known values."""
    if not isinstance(text, str):
        return text
    text = _CREDENTIALS_CLAUSE.sub(lambda m: m.group(1) + "'" + SECRET_PLACEHOLDER + "'", text)
    text = _SECRET_JSON.sub(lambda m: m.group(1) + '"' + SECRET_PLACEHOLDER + '"', text)
    return scrub(text, secrets)


def scrub_config(value: Any) -> Any:
    """A copy of a (parsed) CONFIG / CONFIG_JSON without credentials or secret-looking keys."""
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return scrub_text(value)
        return scrub_config(parsed) if isinstance(parsed, (dict, list)) else value
    if isinstance(value, dict):
        return {
            k: (
                SECRET_PLACEHOLDER
                if k.lower() == "credentials" or re.fullmatch(_SECRET_KEY, k, re.IGNORECASE) and value[k]
                else scrub_config(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [scrub_config(v) for v in value]
    return value
