"""Users' privileges in the double: SingleStore-only privileges, SHOW GRANTS in SingleStore's format, and who
may see the pipeline views.

Facts (each from a public page; the corpus cases of tests/conformance/singlestore/show_grants and error/users_*
hold the outputs, and tests/unit/conformance/test_grants_double.py holds this module against them):

* SingleStore's GRANT grammar (priv_type list, in this order) - 9.1 and cloud pages "GRANT":
  https://docs.singlestore.com/db/v9.1/reference/sql-reference/security-management-commands/grant/
  MariaDB refuses the SingleStore-only names (SHOW METADATA, SHOW PIPELINE ...) with a syntax error, so the
  double records those itself, per account and level, and sends MariaDB the rest of the statement.
* SHOW GRANTS prints one ``GRANT <privs> ON <level> TO 'user'@'host'`` line per level, ``*.*`` bare, names
  in backticks (`mydb`.*), the account in single quotes, a new user as ``GRANT USAGE ON *.* TO 'test'@'%'``
  (pages GRANT and SHOW GRANTS, cloud). MariaDB's own lines (backticked account, ``IDENTIFIED BY PASSWORD``
  with the hash) are read and printed again that way: no hash reaches the client.
* Pipelines views: "users may have the CREATE PIPELINE, SHOW METADATA, SHOW PIPELINE, or the ALTER PIPELINE
  permissions" (9.1 "Accessing the Information Schema"); a view row is shown when the account holds one of
  them on the row's database or on ``*.*`` (row-level security, same page), or ALL PRIVILEGES on ``*.*``.
* SHOW METADATA (and the other privileges the Permissions Matrix allows at the cluster scope only) granted
  below ``*.*``: error 1044 ``Access denied for user '<grantor>'@'<host>' to database '<db>'`` (cloud
  "Accessing the Information Schema" shows it for information_schema).

Assumed (not in any source found): the order of several SHOW GRANTS lines (global, databases, tables); that
privileges print in the grammar's order (the documented "SELECT, INSERT" fits); error codes for SingleStore-only
privileges MariaDB would give for its own (1141 revoking what was not granted, 1133 unknown account, 1064 a
name outside SingleStore's grammar).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from .sqllex import LexError, Token, quote_ident, sig_tokens, unquote
from .upstream import ErrorReply, OkReply, Reply, RowsReply

if TYPE_CHECKING:
    from .session import DoubleSession

log = logging.getLogger("double.grants")

# priv_type of the 9.1 GRANT grammar, in its order, plus USAGE (the v10 page lists it) and ALTER TRACE (older cloud name).
GRANT_ORDER = (
    "ALL PRIVILEGES", "SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "RELOAD", "PROCESS", "FILE READ",
    "FILE WRITE", "INDEX", "ALTER", "SHOW METADATA", "GRANT OPTION", "SUPER", "SYSTEM_VARIABLES_ADMIN",
    "CREATE TEMPORARY TABLES", "LOCK TABLES", "CREATE VIEW", "SHOW VIEW", "CREATE USER", "ALTER USER", "CLUSTER",
    "ALTER VIEW", "DROP VIEW", "BACKUP", "CREATE DATABASE", "DROP DATABASE", "CREATE PIPELINE", "DROP PIPELINE",
    "ALTER PIPELINE", "START PIPELINE", "SHOW PIPELINE", "EXECUTE", "CREATE ROUTINE", "ALTER ROUTINE", "SHOW ROUTINE",
    "CREATE POOL", "DROP POOL", "CREATE LINK", "DROP LINK", "SHOW LINK", "OUTBOUND", "ALTER EVENT TRACE", "ALTER TRACE",
    "USAGE",
)
_BY_WORDS = sorted((tuple(p.split()) for p in GRANT_ORDER), key=len, reverse=True)
# The names above MariaDB 10.11 does not have: recorded by the double.
SINGLESTORE_ONLY = frozenset({
    "SHOW METADATA", "FILE READ", "FILE WRITE", "SYSTEM_VARIABLES_ADMIN", "ALTER USER", "CLUSTER", "ALTER VIEW",
    "DROP VIEW", "BACKUP", "CREATE DATABASE", "DROP DATABASE", "CREATE PIPELINE", "DROP PIPELINE", "ALTER PIPELINE",
    "START PIPELINE", "SHOW PIPELINE", "SHOW ROUTINE", "CREATE POOL", "DROP POOL", "CREATE LINK", "DROP LINK",
    "SHOW LINK", "OUTBOUND", "ALTER EVENT TRACE", "ALTER TRACE"})
# Permissions Matrix (9.1, cloud): allowed at the cluster scope only (the SingleStore-only ones the double records).
CLUSTER_ONLY = frozenset({"SHOW METADATA", "FILE READ", "FILE WRITE", "SYSTEM_VARIABLES_ADMIN"})
# 9.1 "Accessing the Information Schema": any of these shows the pipelines views.
PIPELINE_VIEW_PRIVILEGES = frozenset({"CREATE PIPELINE", "SHOW METADATA", "SHOW PIPELINE", "ALTER PIPELINE"})

GLOBAL = ("*", "*")
Level = tuple  # (db, table): ("*", "*") global, (db, "*") database, (db, table) table


class NotUnderstood(ValueError):
    """A statement shape this module does not handle: it goes to MariaDB as it is."""


# ----------------------------------------------------------------------------------------------- statements
@dataclass
class PrivilegeStatement:
    verb: str                                  # GRANT | REVOKE
    privileges: list[str]
    priv_span: tuple[int, int]                 # characters of the privilege list in the client's text
    level: Level
    level_span: tuple[int, int]
    accounts: list[tuple[str, str]]
    accounts_span: tuple[int, int]
    grant_option: bool = False


def _privilege(toks: list[Token], i: int) -> tuple[str, int]:
    for words in _BY_WORDS:
        part = toks[i:i + len(words)]
        if len(part) == len(words) and all(t.is_word(w) for t, w in zip(part, words)):
            return " ".join(words), i + len(words)
    # a name SingleStore's grammar does not have (EVENT, TRIGGER, DELETE HISTORY, REFERENCES ...)
    word = toks[i].text if i < len(toks) else "end of statement"
    raise LocalGrammarError(word)


class LocalGrammarError(ValueError):
    def __init__(self, word: str) -> None:
        super().__init__(word)
        self.word = word


def _account(toks: list[Token], i: int) -> tuple[tuple[str, str], int]:
    tok = toks[i]
    if tok.kind not in ("string", "word", "qident"):
        raise NotUnderstood("account")
    user = unquote(tok)
    host = "%"
    if i + 1 < len(toks) and toks[i + 1].kind == "var" and toks[i + 1].text.startswith("@") and not toks[i + 1].text.startswith("@@"):
        rest = toks[i + 1].text[1:]
        inner = sig_tokens(rest)
        host = unquote(inner[0]) if inner else rest
        i += 1
    return (user, host), i + 1


def _level(toks: list[Token], i: int) -> tuple[Level, int]:
    if toks[i].is_op("*"):
        if i + 2 < len(toks) and toks[i + 1].is_op(".") and toks[i + 2].is_op("*"):
            return GLOBAL, i + 3
        raise NotUnderstood("level *")   # '*' alone: the current database
    if not toks[i].is_name:
        raise NotUnderstood("level")
    db = unquote(toks[i])
    if i + 2 < len(toks) and toks[i + 1].is_op("."):
        nxt = toks[i + 2]
        if nxt.is_op("*"):
            return (db, "*"), i + 3
        if nxt.is_name:
            return (db, unquote(nxt)), i + 3
    raise NotUnderstood("level without a database")


def parse_privilege_statement(toks: list[Token]) -> PrivilegeStatement:
    """``GRANT privs ON level TO accounts ...`` / ``REVOKE privs ON level FROM accounts``."""
    verb = toks[0].upper
    i = 1
    if verb == "GRANT" and toks[i].is_word("TRANSFERABLE"):
        raise NotUnderstood("TRANSFERABLE")
    start = toks[i].start
    privileges = []
    while True:
        name, i = _privilege(toks, i)
        privileges.append(name)
        if i < len(toks) and toks[i].is_op(","):
            i += 1
            continue
        break
    priv_span = (start, toks[i - 1].end)
    if i >= len(toks) or not toks[i].is_word("ON"):
        raise NotUnderstood("no ON")
    i += 1
    level_start = toks[i].start
    level, i = _level(toks, i)
    level_span = (level_start, toks[i - 1].end)
    if i >= len(toks) or not toks[i].is_word("TO" if verb == "GRANT" else "FROM"):
        raise NotUnderstood("no TO/FROM")
    i += 1
    acc_start = toks[i].start
    accounts = []
    while True:
        acc, i = _account(toks, i)
        accounts.append(acc)
        if i < len(toks) and toks[i].is_op(","):
            i += 1
            continue
        break
    acc_span = (acc_start, toks[i - 1].end)
    grant_option = any(toks[j].is_word("WITH") and j + 2 < len(toks) and toks[j + 1].is_word("GRANT") and toks[j + 2].is_word("OPTION")
                       for j in range(i, len(toks)))
    return PrivilegeStatement(verb, privileges, priv_span, level, level_span, accounts, acc_span, grant_option)


def scope_error(st: PrivilegeStatement, grantor: tuple[str, str]) -> ErrorReply:
    """A cluster-only privilege granted below ``*.*`` (corpus error/users_show_metadata_below_cluster)."""
    return ErrorReply(1044, f"Access denied for user '{grantor[0]}'@'{grantor[1]}' to database '{st.level[0]}'", "42000")


# ----------------------------------------------------------------------------------------------- the record
@dataclass
class GrantStore:
    """SingleStore-only privileges per account and level (MariaDB keeps the others). A JSON file, replaced atomically."""

    path: Optional[Path] = None
    accounts: dict[tuple[str, str], dict[Level, dict]] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @classmethod
    def load(cls, path: Optional[Path]) -> "GrantStore":
        store = cls(path=path)
        if path is not None and path.exists():
            try:
                for item in json.loads(path.read_text()):
                    entry = store.accounts.setdefault((item["user"], item["host"]), {})
                    entry[(item["db"], item["table"])] = {"privs": set(item["privs"]), "grant_option": bool(item["grant_option"])}
            except (OSError, ValueError, KeyError) as e:
                log.warning("ignoring unreadable grants record %s: %s", path, e)
        return store

    def save(self) -> None:
        if self.path is None:
            return
        with self._lock:
            data = [{"user": u, "host": h, "db": lvl[0], "table": lvl[1], "privs": sorted(g["privs"]), "grant_option": g["grant_option"]}
                    for (u, h), levels in sorted(self.accounts.items()) for lvl, g in sorted(levels.items())]
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".grants.", dir=self.path.parent)
            with os.fdopen(fd, "w") as f:
                json.dump(data, f, indent=1)
            os.replace(tmp, self.path)

    def grant(self, account: tuple[str, str], level: Level, privs: set[str], grant_option: bool) -> None:
        with self._lock:
            entry = self.accounts.setdefault(account, {}).setdefault(level, {"privs": set(), "grant_option": False})
            entry["privs"] |= privs
            entry["grant_option"] = entry["grant_option"] or grant_option
            self.save()

    def missing(self, account: tuple[str, str], level: Level, privs: set[str]) -> set[str]:
        with self._lock:
            return privs - self.accounts.get(account, {}).get(level, {"privs": set()})["privs"]

    def revoke(self, account: tuple[str, str], level: Level, privs: set[str]) -> None:
        with self._lock:
            levels = self.accounts.get(account, {})
            if level in levels:
                levels[level]["privs"] -= privs
                if not levels[level]["privs"]:
                    del levels[level]
            if not levels:
                self.accounts.pop(account, None)
            self.save()

    def drop(self, account: tuple[str, str]) -> None:
        with self._lock:
            if self.accounts.pop(account, None) is not None:
                self.save()

    def of(self, account: tuple[str, str]) -> dict[Level, dict]:
        with self._lock:
            return {lvl: {"privs": set(g["privs"]), "grant_option": g["grant_option"]} for lvl, g in self.accounts.get(account, {}).items()}

    def prune(self, existing: set[tuple[str, str]]) -> None:
        with self._lock:
            gone = [a for a in self.accounts if a not in existing]
            for account in gone:
                del self.accounts[account]
            if gone:
                self.save()


def store_of(session: "DoubleSession") -> GrantStore:
    """The server's record (created on first use, pruned of accounts MariaDB no longer has)."""
    server = session.server
    store = getattr(server, "grant_store", None)
    if store is None:
        state_dir = server.config.state_dir
        store = GrantStore.load(state_dir / "grants.json" if state_dir else None)
        try:
            store.prune({(str(u), str(h)) for u, h, *_ in server.accounts()})
        except Exception as e:  # noqa: BLE001 - MariaDB unreachable: prune next start
            log.warning("could not prune the grants record: %s", e)
        server.grant_store = store
    return store


# ----------------------------------------------------------------------------------------------- SHOW GRANTS
def _ordered(privs: set[str]) -> list[str]:
    known = [p for p in GRANT_ORDER if p in privs]
    return known + sorted(privs - set(GRANT_ORDER))


def _level_text(level: Level) -> str:
    db, table = level
    if level == GLOBAL:
        return "*.*"
    return quote_ident(db) + "." + ("*" if table == "*" else quote_ident(table))


def _quote_account_part(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def render_show_grants(user: str, host: str, levels: dict[Level, dict]) -> list[str]:
    """SingleStore's SHOW GRANTS lines for an account: ``{level: {"privs": set, "grant_option": bool}}``."""
    levels = {lvl: g for lvl, g in levels.items() if g["privs"] or g["grant_option"]}
    if GLOBAL not in levels:
        levels[GLOBAL] = {"privs": set(), "grant_option": False}
    account = f"{_quote_account_part(user)}@{_quote_account_part(host)}"

    def order(lvl: Level) -> tuple:
        return (lvl != GLOBAL, lvl[1] != "*", lvl[0], lvl[1])

    lines = []
    for lvl in sorted(levels, key=order):
        g = levels[lvl]
        privs = set(g["privs"]) - {"USAGE"}
        if "ALL PRIVILEGES" in privs:
            privs = {"ALL PRIVILEGES"}
        text = ", ".join(_ordered(privs)) if privs else "USAGE"
        lines.append(f"GRANT {text} ON {_level_text(lvl)} TO {account}" + (" WITH GRANT OPTION" if g["grant_option"] else ""))
    return lines


def read_mariadb_line(line: str) -> Optional[tuple[Level, set[str], bool, Optional[tuple[str, str]]]]:
    """A line of MariaDB's SHOW GRANTS -> (level, privileges, grant option, account or None for PUBLIC);
    None for what is not a privilege line (roles, PROXY, column grants)."""
    try:
        toks = sig_tokens(line)
    except LexError:
        return None
    if len(toks) < 4 or not toks[0].is_word("GRANT"):
        return None
    i, privs = 1, []
    while True:
        words = []
        while i < len(toks) and toks[i].kind == "word" and not toks[i].is_word("ON"):
            words.append(toks[i].text.upper())
            i += 1
        if not words:
            return None
        privs.append(" ".join(words))
        if i < len(toks) and toks[i].is_op(","):
            i += 1
            continue
        break
    if i >= len(toks) or not toks[i].is_word("ON") or "PROXY" in privs:
        return None   # column privileges "SELECT (a)", roles "GRANT `r` TO ...", PROXY
    try:
        level, i = _level(toks, i + 1)
        if not toks[i].is_word("TO"):
            return None
        account = None if toks[i + 1].is_word("PUBLIC") else _account(toks, i + 1)[0]
    except (NotUnderstood, IndexError):
        return None
    grant_option = any(t.is_word("WITH") for t in toks[i:]) and any(t.is_word("OPTION") for t in toks[i:])
    return level, set(privs), grant_option, account


def merged_levels(mariadb_lines: list[str], recorded: dict[Level, dict]) -> tuple[dict[Level, dict], list[str]]:
    """MariaDB's levels plus the recorded SingleStore-only privileges; lines that are not privilege lines apart.

    Dropped: PROXY lines and MariaDB's PUBLIC role (which only holds the double's own engine tables), neither of
    which SingleStore has."""
    levels: dict[Level, dict] = {}
    others = []
    for line in mariadb_lines:
        read = read_mariadb_line(line)
        if read is None:
            if not line.startswith("GRANT PROXY"):
                others.append(line)
            continue
        level, privs, grant_option, account = read
        if account is None:
            continue
        entry = levels.setdefault(level, {"privs": set(), "grant_option": False})
        entry["privs"] |= privs
        entry["grant_option"] = entry["grant_option"] or grant_option
    for level, g in recorded.items():
        entry = levels.setdefault(level, {"privs": set(), "grant_option": False})
        entry["privs"] |= g["privs"]
        entry["grant_option"] = entry["grant_option"] or g["grant_option"]
    return levels, others


# ----------------------------------------------------------------------------------------------- routing
def _text(v) -> str:
    return v.decode("utf-8", "surrogateescape") if isinstance(v, bytes) else str(v)


async def current_account(session: "DoubleSession") -> tuple[str, str]:
    rows = await session.call(session.upstream.rows, "SELECT CURRENT_USER()")
    user, _, host = str(rows[0][0]).rpartition("@")
    return user, host


async def handle(session: "DoubleSession", sql: str, toks: list[Token]) -> Optional[list[Reply]]:
    """GRANT, REVOKE, DROP USER, SHOW GRANTS; None for anything else (and for shapes left to MariaDB)."""
    head = toks[0].upper
    second = toks[1].upper if len(toks) > 1 else ""
    try:
        if head in ("GRANT", "REVOKE"):
            return await _privileges(session, sql, toks)
        if head == "DROP" and second == "USER":
            return await _drop_user(session, sql, toks)
        if head == "SHOW" and second == "GRANTS":
            return await _show_grants(session, sql, toks)
    except (NotUnderstood, IndexError, LexError) as e:
        log.debug("grants: left to MariaDB (%s): %s", e, sql[:200])
    return None


def _accounts_from(toks: list[Token], i: int) -> list[tuple[str, str]]:
    accounts = []
    while i < len(toks):
        account, i = _account(toks, i)
        accounts.append(account)
        if i < len(toks) and toks[i].is_op(","):
            i += 1
        else:
            break
    return accounts


async def _privileges(session: "DoubleSession", sql: str, toks: list[Token]) -> Optional[list[Reply]]:
    if not any(t.is_word("ON") for t in toks):
        if toks[0].is_word("REVOKE") and any(t.is_word("FROM") for t in toks):
            # REVOKE ALL PRIVILEGES, GRANT OPTION FROM accounts: the recorded privileges go too
            replies = await session.forward(sql)
            if isinstance(replies[-1], OkReply):
                start = next(j for j, t in enumerate(toks) if t.is_word("FROM")) + 1
                for account in _accounts_from(toks, start):
                    store_of(session).drop(account)
            return replies
        return None   # roles: GRANT r TO u
    try:
        st = parse_privilege_statement(toks)
    except LocalGrammarError as e:
        return [ErrorReply(1064, f"You have an error in your SQL syntax; {e.word!r} is not a privilege of SingleStore's GRANT grammar "
                                 "(SingleStore test double)", "42000")]
    ours = {p for p in st.privileges if p in SINGLESTORE_ONLY}
    if not ours:
        return None
    if st.level != GLOBAL and st.verb == "GRANT" and ours & CLUSTER_ONLY:
        return [scope_error(st, await current_account(session))]
    store = store_of(session)
    if st.verb == "REVOKE":
        for account in st.accounts:
            if store.missing(account, st.level, ours):
                return [ErrorReply(1141, f"There is no such grant defined for user '{account[0]}' on host '{account[1]}'", "42000")]
    theirs = [p for p in st.privileges if p not in SINGLESTORE_ONLY]
    if theirs:
        text = sql[:st.priv_span[0]] + ", ".join(theirs) + sql[st.priv_span[1]:]
    else:
        # nothing for MariaDB to record, but MariaDB still judges the account and the grantor's rights
        level_text, accounts_text = sql[st.level_span[0]:st.level_span[1]], sql[st.accounts_span[0]:st.accounts_span[1]]
        text = (sql[:st.priv_span[0]] + "USAGE" + sql[st.priv_span[1]:] if st.verb == "GRANT"
                else f"GRANT USAGE ON {level_text} TO {accounts_text}")
    replies = await session.forward(text)
    if isinstance(replies[-1], OkReply):
        for account in st.accounts:
            if st.verb == "GRANT":
                store.grant(account, st.level, ours, st.grant_option)
            else:
                store.revoke(account, st.level, ours)
    return replies


async def _drop_user(session: "DoubleSession", sql: str, toks: list[Token]) -> list[Reply]:
    replies = await session.forward(sql)
    if isinstance(replies[-1], OkReply):
        i = 4 if len(toks) > 3 and toks[2].is_word("IF") and toks[3].is_word("EXISTS") else 2
        for account in _accounts_from(toks, i):
            store_of(session).drop(account)
    return replies


async def _show_grants(session: "DoubleSession", sql: str, toks: list[Token]) -> list[Reply]:
    replies = await session.forward(sql)
    last = replies[-1]
    if not isinstance(last, RowsReply) or len(last.columns) != 1:
        return replies
    if len(toks) > 3 and toks[2].is_word("FOR") and not toks[3].is_word("CURRENT_USER"):
        account, _ = _account(toks, 3)
    else:
        account = await current_account(session)
    enc = session.upstream.encoding if session.upstream else "utf-8"
    lines = [_text(r[0]) for r in last.rows]
    levels, others = merged_levels(lines, store_of(session).of(account))
    out = render_show_grants(account[0], account[1], levels) + others
    last.rows = [(line.encode(enc, "surrogateescape"),) for line in out]
    return replies


# ----------------------------------------------------------------------------------------------- pipelines views
async def visible_pipeline_databases(session: "DoubleSession") -> Optional[set[str]]:
    """Databases whose pipeline rows the session's account may see; None for all of them."""
    account = await current_account(session)
    replies = await session.forward("SHOW GRANTS FOR CURRENT_USER()")
    last = replies[-1]
    lines = [_text(r[0]) for r in last.rows] if isinstance(last, RowsReply) else []
    levels, _ = merged_levels(lines, store_of(session).of(account))
    if "ALL PRIVILEGES" in levels.get(GLOBAL, {"privs": set()})["privs"] or levels.get(GLOBAL, {"privs": set()})["privs"] & PIPELINE_VIEW_PRIVILEGES:
        return None
    return {lvl[0] for lvl, g in levels.items() if lvl[1] == "*" and lvl != GLOBAL and g["privs"] & PIPELINE_VIEW_PRIVILEGES}
