# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A position in a list of tokens: the walk the two statement readers share (SHOW CREATE PIPELINE in
_pipeline_sql, SHOW GRANTS in _user_sql). Each reader keeps its own tokenizer and grammar; only the
walking is common, and each says how running out of tokens fails (its own exception, its own words)."""

from __future__ import annotations

from typing import Generic, TypeVar

TokenT = TypeVar("TokenT")


class TokenCursor(Generic[TokenT]):
    def __init__(self, tokens: list[TokenT]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self, k: int = 0) -> TokenT | None:
        return self.tokens[self.i + k] if self.i + k < len(self.tokens) else None

    def take(self) -> TokenT:
        tok = self.peek()
        if tok is None:
            raise self.end_error()
        self.i += 1
        return tok

    def end_error(self) -> Exception:
        """The exception raised when a token is needed and none is left."""
        return ValueError("unexpected end of the statement")
