"""A small MySQL/MariaDB lexer: enough to find statements, clauses and names without parsing SQL.

The double never re-renders a whole statement: it finds token positions here and edits the
client's text in place (removing SingleStore-only clauses, replacing a variable by a literal), so
everything it does not touch reaches MariaDB byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass

WS = "ws"
COMMENT = "comment"
WORD = "word"        # bare identifier or keyword
QIDENT = "qident"    # `quoted identifier`
STRING = "string"    # '...' or "..."
NUMBER = "number"
VAR = "var"          # @user_var, @@sys_var, @@session.sys_var
OP = "op"            # punctuation and operators

_WORD_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")
_MULTI_OPS = ("<=>", "->>", "::$", "::%", "<=", ">=", "<>", "!=", ":=", "||", "&&", "<<", ">>", "->", "<-", "::")


class LexError(ValueError):
    """Unterminated string, identifier or comment."""


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int
    end: int

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == WORD else ""

    def is_word(self, *words: str) -> bool:
        return self.kind == WORD and self.text.upper() in words

    def is_op(self, *ops: str) -> bool:
        return self.kind == OP and self.text in ops

    @property
    def is_name(self) -> bool:
        return self.kind in (WORD, QIDENT)


def _is_word_char(c: str) -> bool:
    return c in _WORD_CHARS or ord(c) >= 0x80


def tokenize(sql: str, backslash_escapes: bool = True) -> list[Token]:
    """All tokens of ``sql``, including whitespace and comments (so positions cover the text)."""
    out: list[Token] = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        start = i
        if c.isspace():
            while i < n and sql[i].isspace():
                i += 1
            out.append(Token(WS, sql[start:i], start, i))
            continue
        if c == "#" or (sql.startswith("--", i) and (i + 2 == n or sql[i + 2].isspace())):
            j = sql.find("\n", i)
            i = n if j < 0 else j
            out.append(Token(COMMENT, sql[start:i], start, i))
            continue
        if sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            if j < 0:
                raise LexError("unterminated comment")
            i = j + 2
            out.append(Token(COMMENT, sql[start:i], start, i))
            continue
        if c in "'\"`":
            i = _scan_quoted(sql, i, c, backslash_escapes and c != "`")
            out.append(Token(QIDENT if c == "`" else STRING, sql[start:i], start, i))
            continue
        if c == "@":
            i += 1
            if i < n and sql[i] == "@":
                i += 1
            if i < n and sql[i] in "'\"`":
                i = _scan_quoted(sql, i, sql[i], backslash_escapes and sql[i] != "`")
            else:
                while i < n and (_is_word_char(sql[i]) or sql[i] == "."):
                    i += 1
            out.append(Token(VAR, sql[start:i], start, i))
            continue
        if c.isdigit() or (c == "." and i + 1 < n and sql[i + 1].isdigit() and not _prev_is_name(out)):
            i = _scan_number(sql, i)
            # 1abc is an identifier in MySQL
            if i < n and _is_word_char(sql[i]):
                while i < n and _is_word_char(sql[i]):
                    i += 1
                out.append(Token(WORD, sql[start:i], start, i))
            else:
                out.append(Token(NUMBER, sql[start:i], start, i))
            continue
        if _is_word_char(c):
            while i < n and _is_word_char(sql[i]):
                i += 1
            out.append(Token(WORD, sql[start:i], start, i))
            continue
        for op in _MULTI_OPS:
            if sql.startswith(op, i):
                i += len(op)
                break
        else:
            i += 1
        out.append(Token(OP, sql[start:i], start, i))
    return out


def _prev_is_name(tokens: list[Token]) -> bool:
    for t in reversed(tokens):
        if t.kind in (WS, COMMENT):
            return False
        return t.kind in (WORD, QIDENT)
    return False


def _scan_quoted(sql: str, i: int, quote: str, backslash: bool) -> int:
    n = len(sql)
    i += 1
    while i < n:
        c = sql[i]
        if backslash and c == "\\":
            i += 2
            continue
        if c == quote:
            if i + 1 < n and sql[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    raise LexError(f"unterminated {quote}")


def _scan_number(sql: str, i: int) -> int:
    n = len(sql)
    if sql.startswith(("0x", "0X", "0b", "0B"), i):
        i += 2
        while i < n and sql[i].isalnum():
            i += 1
        return i
    while i < n and sql[i].isdigit():
        i += 1
    if i < n and sql[i] == ".":
        i += 1
        while i < n and sql[i].isdigit():
            i += 1
    if i < n and sql[i] in "eE" and i + 1 < n and (sql[i + 1].isdigit() or (sql[i + 1] in "+-" and i + 2 < n and sql[i + 2].isdigit())):
        i += 2
        while i < n and sql[i].isdigit():
            i += 1
    return i


def significant(tokens: list[Token]) -> list[Token]:
    return [t for t in tokens if t.kind not in (WS, COMMENT)]


def sig_tokens(sql: str, backslash_escapes: bool = True) -> list[Token]:
    return significant(tokenize(sql, backslash_escapes))


def unquote(tok: Token) -> str:
    """The name a WORD/QIDENT/STRING token stands for."""
    if tok.kind == QIDENT:
        return tok.text[1:-1].replace("``", "`")
    if tok.kind == STRING:
        q = tok.text[0]
        body = tok.text[1:-1].replace(q + q, q)
        return _unescape(body)
    return tok.text


def _unescape(s: str) -> str:
    if "\\" not in s:
        return s
    table = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            nxt = s[i + 1]
            out.append(table.get(nxt, nxt if nxt not in "%_" else "\\" + nxt))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def quote_ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def quote_string(value: str, backslash_escapes: bool = True) -> str:
    if backslash_escapes:
        value = value.replace("\\", "\\\\").replace("\0", "\\0")
    return "'" + value.replace("'", "''") + "'"


def matching_paren(toks: list[Token], i: int) -> int:
    """Index of the ``)`` closing the ``(`` at ``toks[i]``."""
    depth = 0
    for j in range(i, len(toks)):
        if toks[j].is_op("("):
            depth += 1
        elif toks[j].is_op(")"):
            depth -= 1
            if depth == 0:
                return j
    raise LexError("unbalanced parentheses")


def split_top_level(toks: list[Token], start: int, end: int, sep: str = ",") -> list[tuple[int, int]]:
    """Split ``toks[start:end]`` at separators outside parentheses: list of (from, to) index ranges."""
    parts, depth, cur = [], 0, start
    for j in range(start, end):
        t = toks[j]
        if t.is_op("("):
            depth += 1
        elif t.is_op(")"):
            depth -= 1
        elif depth == 0 and t.is_op(sep):
            parts.append((cur, j))
            cur = j + 1
    parts.append((cur, end))
    return [(a, b) for a, b in parts if a < b or len(parts) > 1]


def statement_count(toks: list[Token]) -> int:
    """Number of statements, ignoring empty ones (``SELECT 1;`` is one statement)."""
    count, pending = 0, False
    for t in toks:
        if t.is_op(";"):
            if pending:
                count += 1
            pending = False
        else:
            pending = True
    return count + (1 if pending else 0)


def parse_name(toks: list[Token], i: int) -> tuple[str | None, str, int]:
    """``[db.]name`` starting at ``toks[i]``: (db or None, name, index after)."""
    if i >= len(toks) or not toks[i].is_name:
        raise LexError("expected a name")
    first = unquote(toks[i])
    if i + 2 < len(toks) and toks[i + 1].is_op(".") and toks[i + 2].is_name:
        return first, unquote(toks[i + 2]), i + 3
    return None, first, i + 1


def apply_edits(sql: str, edits: list[tuple[int, int, str]]) -> str:
    """Replace character ranges (start, end, text); ranges must not overlap."""
    out, pos = [], 0
    for start, end, text in sorted(edits, key=lambda e: (e[0], e[1])):
        if start < pos:
            raise ValueError("overlapping edits")
        out.append(sql[pos:start])
        out.append(text)
        pos = end
    out.append(sql[pos:])
    return "".join(out)
