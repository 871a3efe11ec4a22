# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the lines of ``SHOW GRANTS FOR 'user'@'host'`` as SingleStore prints them.

A small tokenizer and a reader of the documented GRANT grammar, nothing else
(https://docs.singlestore.com/db/v9.1/reference/sql-reference/security-management-commands/grant/, 9.1, and
the cloud page of the same name)::

    GRANT [TRANSFERABLE] priv_type [, priv_type ...] ON priv_level TO 'user'@'host' [WITH GRANT OPTION]
    priv_level: * | *.* | database.* | database.table

What SHOW GRANTS prints is that statement (pages SHOW GRANTS and GRANT, Example:
``GRANT ALL PRIVILEGES ON *.* TO 'root'@'%'``, ``GRANT USAGE ON *.* TO 'test'@'%'``). A line the reader
cannot read completely - a privilege name outside the documented list, a quote left open, a role line,
anything after the grantee but WITH GRANT OPTION / REQUIRE - raises GrantsReadError: the module then changes
nothing rather than revoke on a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ansible_collections.transactions_st.realtime.plugins.module_utils._token_cursor import TokenCursor

# The priv_type list of the GRANT grammar: 9.1 (self-managed), plus what other pages add: USAGE (v10 lists it;
# every version prints it for a new user), ALTER TRACE (the older cloud page's name for ALTER EVENT TRACE).
# https://docs.singlestore.com/db/v9.1/reference/sql-reference/security-management-commands/grant/ (9.1)
# https://docs.singlestore.com/cloud/reference/sql-reference/security-management-commands/grant/ (cloud)
# https://docs.singlestore.com/db/v10/reference/sql-reference/security-management-commands/grant/ (10)
# The order is the grammar's (SHOW GRANTS prints "SELECT, INSERT" in that order too).
# Each name with whether MySQL/MariaDB lack it (True: SingleStore's grammar only; they refuse it with a
# syntax error, so the double and a MariaDB target cannot be asked for it).
_GRAMMAR: tuple[tuple[str, bool], ...] = (
    ("ALL PRIVILEGES", False),
    ("SELECT", False),
    ("INSERT", False),
    ("UPDATE", False),
    ("DELETE", False),
    ("CREATE", False),
    ("DROP", False),
    ("RELOAD", False),
    ("PROCESS", False),
    ("FILE READ", True),
    ("FILE WRITE", True),
    ("INDEX", False),
    ("ALTER", False),
    ("SHOW METADATA", True),
    ("GRANT OPTION", False),
    ("SUPER", False),
    ("SYSTEM_VARIABLES_ADMIN", True),
    ("CREATE TEMPORARY TABLES", False),
    ("LOCK TABLES", False),
    ("CREATE VIEW", False),
    ("SHOW VIEW", False),
    ("CREATE USER", False),
    ("ALTER USER", True),
    ("CLUSTER", True),
    ("ALTER VIEW", True),
    ("DROP VIEW", True),
    ("BACKUP", True),
    ("CREATE DATABASE", True),
    ("DROP DATABASE", True),
    ("CREATE PIPELINE", True),
    ("DROP PIPELINE", True),
    ("ALTER PIPELINE", True),
    ("START PIPELINE", True),
    ("SHOW PIPELINE", True),
    ("EXECUTE", False),
    ("CREATE ROUTINE", False),
    ("ALTER ROUTINE", False),
    ("SHOW ROUTINE", True),
    ("CREATE POOL", True),
    ("DROP POOL", True),
    ("CREATE LINK", True),
    ("DROP LINK", True),
    ("SHOW LINK", True),
    ("OUTBOUND", True),
    ("ALTER EVENT TRACE", True),
    ("ALTER TRACE", True),
    ("USAGE", False),
)
SINGLESTORE_PRIVILEGES: tuple[str, ...] = tuple(name for name, _only in _GRAMMAR)
SINGLESTORE_ONLY: frozenset[str] = frozenset(name for name, only in _GRAMMAR if only)
_BY_WORDS = sorted((tuple(p.split()) for p in SINGLESTORE_PRIVILEGES), key=len, reverse=True)


class GrantsReadError(ValueError):
    """A SHOW GRANTS line that is not the documented GRANT statement (or not for the account asked about)."""


@dataclass(frozen=True)
class Token:
    kind: str  # word | string ('...') | ident (`...`) | op
    text: str  # words upper-cased; strings and identifiers unquoted


@dataclass
class GrantLine:
    privileges: list[str]
    db: str | None  # None: *.* (or *)
    table: str | None  # None: db.*
    user: str
    host: str
    grant_option: bool = False
    transferable: bool = False
    require: list[str] = field(default_factory=list)

    @property
    def level(self) -> str:
        if self.db is None:
            return "*.*"
        return f"{self.db}.{'*' if self.table is None else self.table}"


def tokenize(line: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if c.isspace():
            i += 1
        elif c in "'`\"":
            # a quote is closed by the same quote; doubled it stands for itself; backslash escapes in strings
            j, out = i + 1, []
            while True:
                if j >= n:
                    raise GrantsReadError(f"a {c} quote opened at column {i + 1} is never closed")
                if line[j] == c:
                    if j + 1 < n and line[j + 1] == c:
                        out.append(c)
                        j += 2
                        continue
                    break
                if line[j] == "\\" and c != "`" and j + 1 < n:
                    out.append(line[j + 1])
                    j += 2
                    continue
                out.append(line[j])
                j += 1
            tokens.append(Token("ident" if c == "`" else "string", "".join(out)))
            i = j + 1
        elif c.isalnum() or c in "_$":
            j = i
            while j < n and (line[j].isalnum() or line[j] in "_$"):
                j += 1
            tokens.append(Token("word", line[i:j].upper()))
            i = j
        elif c in ",.*@;":
            tokens.append(Token("op", c))
            i += 1
        else:
            raise GrantsReadError(f"unexpected character {c!r} at column {i + 1}")
    return tokens


class _Cursor(TokenCursor[Token]):
    def __init__(self, tokens: list[Token], line: str) -> None:
        super().__init__(tokens)
        self.line = line

    def end_error(self) -> Exception:
        return GrantsReadError("the line ends too early")

    def word(self, *words: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "word" and tok.text in words

    def expect_word(self, word: str) -> None:
        tok = self.take()
        if tok.kind != "word" or tok.text != word:
            raise GrantsReadError(f"expected {word}, found {tok.text!r}")

    def op(self, op: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "op" and tok.text == op


def _privilege(cur: _Cursor) -> str:
    for words in _BY_WORDS:
        toks = [cur.peek(k) for k in range(len(words))]
        if all(t is not None and t.kind == "word" and t.text == w for t, w in zip(toks, words)):
            cur.i += len(words)
            return " ".join(words)
    tok = cur.peek()
    raise GrantsReadError(f"{tok.text if tok else 'end of line'!r} is not a privilege of SingleStore's GRANT grammar")


def _name(cur: _Cursor) -> str:
    tok = cur.take()
    if tok.kind == "ident":
        return tok.text
    # SHOW GRANTS quotes names (`mydb`.*); a bare word's letter case is lost by the tokenizer, and database
    # names are case-sensitive on SingleStore: refuse rather than guess
    raise GrantsReadError(f"expected a `quoted` database or table name, found {tok.text!r}")


def _level(cur: _Cursor) -> tuple[str | None, str | None]:
    if cur.op("*"):
        cur.take()
        if cur.op("."):
            cur.take()
            if not cur.op("*"):
                raise GrantsReadError("expected *.*")
            cur.take()
        return None, None
    db = _name(cur)
    if not cur.op("."):
        raise GrantsReadError(f"expected . after the database name {db!r}")
    cur.take()
    if cur.op("*"):
        cur.take()
        return db, None
    return db, _name(cur)


def read_line(line: str) -> GrantLine:
    """One SHOW GRANTS line -> GrantLine; GrantsReadError if it is not exactly the documented statement."""
    cur = _Cursor(tokenize(line), line)
    cur.expect_word("GRANT")
    transferable = False
    if cur.word("TRANSFERABLE"):
        cur.take()
        transferable = True
    privileges = [_privilege(cur)]
    while cur.op(","):
        cur.take()
        privileges.append(_privilege(cur))
    cur.expect_word("ON")
    db, table = _level(cur)
    cur.expect_word("TO")
    user_tok = cur.take()
    if user_tok.kind != "string" or not cur.op("@"):
        raise GrantsReadError("expected the account as 'user'@'host' after TO")
    cur.take()
    host_tok = cur.take()
    if host_tok.kind != "string":
        raise GrantsReadError("expected the account as 'user'@'host' after TO")
    out = GrantLine(privileges, db, table, user_tok.text, host_tok.text, transferable=transferable)
    while cur.peek() is not None:
        if cur.word("WITH"):
            cur.take()
            cur.expect_word("GRANT")
            cur.expect_word("OPTION")
            out.grant_option = True
        elif cur.word("REQUIRE"):
            cur.take()
            tok = cur.take()
            if tok.kind != "word" or tok.text not in ("SSL", "X509", "NONE"):
                raise GrantsReadError(f"REQUIRE {tok.text!r} is not in the GRANT grammar")
            out.require.append(tok.text)
        elif cur.op(";") and cur.i == len(cur.tokens) - 1:
            cur.take()
        else:
            raise GrantsReadError(f"unexpected {cur.peek().text!r} after the account")  # type: ignore[union-attr]
    if "ALL PRIVILEGES" in privileges and len(privileges) > 1:
        raise GrantsReadError("ALL PRIVILEGES listed with other privileges")
    return out


@dataclass
class AccountGrants:
    """What SHOW GRANTS says about one account, by level (``*.*``, ``db.*``, ``db.table``)."""

    privileges: dict[str, set[str]]  # USAGE dropped; GRANT OPTION added for WITH GRANT OPTION
    transferable: dict[str, set[str]]  # the TRANSFERABLE rows (privilege_transfer_mode = per_privilege)
    require: list[str]


def read_show_grants(lines: list[str], user: str, host: str) -> AccountGrants:
    """Every line of SHOW GRANTS FOR 'user'@'host'; each must be for that account."""
    privileges: dict[str, set[str]] = {}
    transferable: dict[str, set[str]] = {}
    require: list[str] = []
    for number, line in enumerate(lines, 1):
        try:
            grant = read_line(line)
        except GrantsReadError as exc:
            raise GrantsReadError(
                f"line {number} of SHOW GRANTS FOR '{user}'@'{host}' cannot be read ({exc}): {line!r}"
            ) from None
        if (grant.user, grant.host) != (user, host):
            raise GrantsReadError(
                f"line {number} of SHOW GRANTS FOR '{user}'@'{host}' is for '{grant.user}'@'{grant.host}': {line!r}"
            )
        privs = privileges.setdefault(grant.level, set())
        privs.update(p for p in grant.privileges if p != "USAGE")
        if grant.grant_option:
            privs.add("GRANT OPTION")
        if grant.transferable:
            transferable.setdefault(grant.level, set()).update(p for p in grant.privileges if p != "USAGE")
        require.extend(r for r in grant.require if r not in require)
    return AccountGrants({lvl: p for lvl, p in privileges.items() if p}, transferable, require)
