# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How every module hides a secret value that could reach its output (messages, queries, diffs)."""

from __future__ import annotations

from typing import Iterable

SECRET_PLACEHOLDER = "********"


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every non-empty secret replaced by the placeholder."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, SECRET_PLACEHOLDER)
    return text
