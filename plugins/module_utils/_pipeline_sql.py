# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SingleStore Kafka pipelines, the SQL text: keyword tables, the statement class, and the
tokenizer and clause parser that read a CREATE PIPELINE statement (SHOW CREATE PIPELINE output, or the module's own
rendering from _pipeline_spec): ``parse_definition()``.

Tokens compare without whitespace and backquotes (``norm()``: keywords and identifiers case-insensitively, string
literals by their decoded value); the comparison itself is in _pipeline_spec (``signature()``).

What the server prints back (tests/conformance/singlestore/show_create_pipeline/, one case per file with its source):
mapping, column-list, SET and ON DUPLICATE KEY UPDATE targets may be qualified with the table name
(`` `t`.`c` <- `c` ``): both forms read as the same column, and a qualifier naming another table than the pipeline's
is refused. Clauses the server adds by default (``DEFAULTS_PRINTED``) are recognised and dropped; any other clause is
kept in ``other`` (before INTO, carried over by CREATE OR REPLACE) or ``other_tail`` (after INTO, which this module
cannot place in a rendering, so it refuses to replace such a pipeline). Grammar: CREATE PIPELINE,
https://docs.singlestore.com/cloud/reference/sql-reference/pipelines-commands/create-pipeline/ (cloud).
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable, NamedTuple

from ansible_collections.transactions_st.realtime.plugins.module_utils._base import Statement, _literal
from ansible_collections.transactions_st.realtime.plugins.module_utils._token_cursor import TokenCursor

# Settings ALTER PIPELINE changes in place (module option -> SQL keyword).
TUNABLES = {
    "batch_interval": "BATCH_INTERVAL",
    "max_partitions_per_batch": "MAX_PARTITIONS_PER_BATCH",
    "max_offsets_per_batch_partition": "MAX_OFFSETS_PER_BATCH_PARTITION",
}
# Rendered in this order, the order of the CREATE PIPELINE grammar: BATCH_INTERVAL, MAX_PARTITIONS_PER_BATCH,
# MAX_RETRIES_PER_BATCH_PARTITION, MAX_OFFSETS_PER_BATCH_PARTITION (CREATE PIPELINE, "Syntax",
# https://docs.singlestore.com/cloud/reference/sql-reference/pipelines-commands/create-pipeline/, cloud).
# MAX_RETRIES_PER_BATCH_PARTITION is not a module option: carried over by CREATE OR REPLACE when the server has it.
CARRIED = {
    "batch_interval": "BATCH_INTERVAL",
    "max_partitions_per_batch": "MAX_PARTITIONS_PER_BATCH",
    "max_retries_per_batch_partition": "MAX_RETRIES_PER_BATCH_PARTITION",
    "max_offsets_per_batch_partition": "MAX_OFFSETS_PER_BATCH_PARTITION",
}
# Clauses SHOW CREATE PIPELINE prints for a pipeline whose statement did not have them (their default values), as
# the corpus shows (show_create_pipeline/json_mapping_qualified.yml and others): neither a difference nor an unmanaged
# clause. Their ENABLE forms are not defaults: kept and carried over like any clause this module does not manage.
DEFAULTS_PRINTED = ("DISABLE OUT_OF_ORDER OPTIMIZATION", "DISABLE OFFSETS METADATA GC")


class PipelineStatement(Statement):
    """A Statement whose credentials JSON and each of its values are scrubbed from any error text."""

    __slots__ = ("hidden", "named")

    def __init__(
        self, sql: str, params: dict[str, Any] | None = None, secrets: Iterable[str] = (), hidden: Iterable[str] = ()
    ) -> None:
        self.named: dict[str, Any] = params if params is not None else {}  # the parameters, typed as a dict
        super().__init__(sql, self.named, secrets)
        self.hidden = [str(v) for v in hidden if v not in (None, "")]

    def secret_values(self) -> list[str]:
        # Longest first, so a value that contains another is replaced whole.
        return sorted(set(super().secret_values()) | set(self.hidden), key=len, reverse=True)

    def canonical(self) -> str:
        """The statement with literal values, credentials shown as a placeholder string."""
        shown = {
            key: ("'<hidden>'" if key in self.secrets else _literal(value)) for key, value in dict(self.params).items()
        }
        return self.sql % shown


# ---------------------------------------------------------------------------------------------------
# Tokens and the clause parser (the same for the server's text and our own rendering)
# ---------------------------------------------------------------------------------------------------
class Token(NamedTuple):
    kind: str
    text: str
    value: str
    start: int
    end: int


_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<str>'(?:[^'\\]|\\.|'')*')
  | (?P<dstr>"(?:[^"\\]|\\.|"")*")
  | (?P<ident>`(?:[^`]|``)*`)
  | (?P<var>@@?[A-Za-z0-9_$.]+)
  | (?P<num>\d+(?:\.\d+)?(?![A-Za-z_$]))
  | (?P<word>[A-Za-z0-9_$]+)
  | (?P<op><-|::|<=>|<=|>=|<>|!=|:=|\|\||&&)
  | (?P<other>.)
""",
    re.VERBOSE | re.DOTALL,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "Z": "\x1a", "b": "\b"}


def _unescape(body: str, quote: str) -> str:
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            out.append(_ESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
        elif ch == quote and body[i + 1 : i + 2] == quote:
            out.append(quote)
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def tokenize(text: str) -> list[Token]:
    tokens = []
    for m in _TOKEN.finditer(text):
        kind, raw = m.lastgroup or "other", m.group(0)
        if kind == "ws":
            continue
        if kind in ("str", "dstr"):
            value = _unescape(raw[1:-1], raw[0])
            kind = "str"
        elif kind == "ident":
            value = raw[1:-1].replace("``", "`")
        else:
            value = raw
        tokens.append(Token(kind, raw, value, m.start(), m.end()))
    return tokens


def norm(tokens: list[Token]) -> str:
    """Comparable text of a token run: no whitespace or backquotes, case folded outside string literals."""
    parts = []
    for tok in tokens:
        if tok.kind == "str":
            parts.append("'" + json.dumps(tok.value))
        elif tok.kind in ("ident", "word", "var"):
            parts.append(tok.value.lower())
        else:
            parts.append(tok.text)
    return " ".join(parts)


class DefinitionError(Exception):
    """SHOW CREATE PIPELINE text this module cannot read."""


class _Parser(TokenCursor[Token]):
    # Clause keywords before INTO (anything else there is kept as an unmanaged clause).
    PRE = (
        "CONFIG",
        "CREDENTIALS",
        "BATCH_INTERVAL",
        "MAX_PARTITIONS_PER_BATCH",
        "MAX_RETRIES_PER_BATCH_PARTITION",
        "MAX_OFFSETS_PER_BATCH_PARTITION",
        "STOP_ON_ERROR",
        "SKIP",
        "IGNORE",
        "REPLACE",
        "INTO",
        "RESOURCE",
        "ENABLE",
        "DISABLE",
        "WITH",
        "RETRY_OPTIONS",
    )
    TAIL = (
        ("SET",),
        ("WHERE",),
        ("ON", "DUPLICATE", "KEY", "UPDATE"),
        ("NULL", "DEFINED", "BY"),
        ("FIELDS",),
        ("COLUMNS",),
        ("LINES",),
        ("FORMAT",),
        ("IGNORE",),
    )
    # What may follow SET / WHERE / ON DUPLICATE KEY UPDATE (their expressions may hold FORMAT(), IGNORE ...).
    EXPR = (("SET",), ("WHERE",), ("ON", "DUPLICATE", "KEY", "UPDATE"), ("NULL", "DEFINED", "BY"))

    def __init__(self, text: str) -> None:
        super().__init__(tokenize(text))
        self.text = text

    def end_error(self) -> Exception:
        return DefinitionError("unexpected end of the pipeline definition")

    def at(self, *words: str) -> bool:
        for k, word in enumerate(words):
            tok = self.peek(k)
            if tok is None or tok.kind != "word" or tok.value.upper() != word:
                return False
        return True

    def accept(self, *words: str) -> bool:
        if self.at(*words):
            self.i += len(words)
            return True
        return False

    def expect(self, *words: str) -> None:
        if not self.accept(*words):
            raise DefinitionError(f"expected {' '.join(words)} near {self.near()!r}")

    def near(self) -> str:
        tok = self.peek()
        return self.text[tok.start : tok.start + 30] if tok else "<end>"

    def next_is(self, text: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.text == text

    def name(self) -> str:
        tok = self.take()
        if tok.kind not in ("ident", "word"):
            raise DefinitionError(f"expected a name near {self.near()!r}")
        if self.next_is("."):
            self.i += 1
            return self.name()
        return tok.value

    def string(self) -> str:
        tok = self.take()
        if tok.kind != "str":
            raise DefinitionError(f"expected a quoted string near {self.near()!r}")
        return tok.value

    def integer(self) -> int:
        tok = self.take()
        if tok.kind != "num" or not tok.value.isdigit():
            raise DefinitionError(f"expected a number near {self.near()!r}")
        return int(tok.value)

    def group(self) -> list[Token]:
        if not self.next_is("("):
            raise DefinitionError(f"expected '(' near {self.near()!r}")
        depth, start = 0, self.i
        while self.i < len(self.tokens):
            text = self.tokens[self.i].text
            depth += 1 if text == "(" else -1 if text == ")" else 0
            self.i += 1
            if depth == 0:
                return self.tokens[start + 1 : self.i - 1]
        raise DefinitionError("unbalanced parentheses")

    def until(self, stops: Iterable[tuple[str, ...]]) -> list[Token]:
        depth, start = 0, self.i
        while self.i < len(self.tokens):
            tok = self.tokens[self.i]
            if depth == 0 and any(self.at(*stop) for stop in stops):
                break
            depth += 1 if tok.text == "(" else -1 if tok.text == ")" else 0
            self.i += 1
        return self.tokens[start : self.i]

    def display(self, tokens: list[Token]) -> str:
        return re.sub(r"\s+", " ", self.text[tokens[0].start : tokens[-1].end]).strip() if tokens else ""


def _split(tokens: list[Token], sep: str = ",") -> list[list[Token]]:
    parts: list[list[Token]] = [[]]
    depth = 0
    for tok in tokens:
        if tok.text == sep and depth == 0:
            parts.append([])
            continue
        depth += 1 if tok.text == "(" else -1 if tok.text == ")" else 0
        parts[-1].append(tok)
    return [p for p in parts if p]


def _target(p: _Parser, tokens: list[Token], what: str) -> tuple[str, str | None]:
    """A column, ``@variable`` or ``table.column`` (SHOW CREATE PIPELINE qualifies targets with the table name):
    (column or variable, qualifier or None)."""
    if len(tokens) == 1 and tokens[0].kind in ("ident", "word", "var"):
        return (tokens[0].text if tokens[0].kind == "var" else tokens[0].value), None
    if len(tokens) == 3 and tokens[1].text == "." and all(t.kind in ("ident", "word") for t in (tokens[0], tokens[2])):
        return tokens[2].value, tokens[0].value
    raise DefinitionError(f"expected {what} in {p.display(tokens)!r}")


def _pairs(p: _Parser, tokens: list[Token], qualifiers: list[str]) -> list[tuple[str, str, str]]:
    """``col = expr, ...`` -> [(column, display expression, normalised expression)]."""
    out = []
    for part in _split(tokens):
        eq = next((k for k, t in enumerate(part) if t.text == "="), None)
        if eq is None or eq == 0:
            raise DefinitionError(f"expected 'column = expression' in {p.display(part)!r}")
        column, qualifier = _target(p, part[:eq], "'column = expression'")
        qualifiers += [qualifier] if qualifier is not None else []
        out.append((column, p.display(part[eq + 1 :]), norm(part[eq + 1 :])))
    return out


def _mapping(p: _Parser, tokens: list[Token], qualifiers: list[str]) -> list[dict[str, Any]]:
    out = []
    for part in _split(tokens):
        arrow = next((k for k, t in enumerate(part) if t.text == "<-"), None)
        if not arrow:
            raise DefinitionError(f"expected 'column <- path' in {p.display(part)!r}")
        column, qualifier = _target(p, part[:arrow], "'column <- path'")
        qualifiers += [qualifier] if qualifier is not None else []
        rest = part[arrow + 1 :]
        cut = next((k for k, t in enumerate(rest) if t.kind == "word" and t.value.upper() == "DEFAULT"), len(rest))
        segments = [t.value for t in rest[:cut] if t.text != "::"]
        if len(segments) > 1 and segments[0] == "%":
            segments = segments[1:]
        entry: dict[str, Any] = {"column": column, "path": "::".join(segments)}
        default = rest[cut + 1 :]
        if cut < len(rest):
            entry["default"] = _default_value(default)
            entry["_default"] = norm(default)
        out.append(entry)
    return out


def _default_value(tokens: list[Token]) -> Any:
    if len(tokens) == 1:
        tok = tokens[0]
        if tok.kind == "str":
            return tok.value
        if tok.kind == "num":
            return float(tok.value) if "." in tok.value else int(tok.value)
        if tok.kind == "word" and tok.value.upper() == "NULL":
            return None
    return " ".join(t.text for t in tokens)


def parse_definition(text: str) -> dict[str, Any]:
    """Read a CREATE PIPELINE statement (SHOW CREATE PIPELINE output, or our own rendering)."""
    p = _Parser(text)
    p.expect("CREATE")
    p.accept("OR", "REPLACE")
    d: dict[str, Any] = {"aggregator": p.accept("AGGREGATOR"), "has_credentials": False, "csv": {}}
    d.update({key: None for key in ("config", "stop_on_error", "where", *CARRIED)})
    d.update(
        {
            key: []
            for key in ("errors", "mapping", "columns", "set", "odku", "other", "other_raw", "other_tail", "defaults")
        }
    )
    qualifiers: list[str] = []
    p.expect("PIPELINE")
    p.accept("IF", "NOT", "EXISTS")
    d["name"] = p.name()
    p.expect("AS", "LOAD", "DATA")
    d["source"] = p.take().value.upper()
    endpoint = p.string()
    hosts, slash, d["topic"] = endpoint.rpartition("/")
    d["brokers"] = [h.strip() for h in hosts.split(",") if h.strip()]
    # SHOW CREATE PIPELINE hides "sensitive data, such as credentials, URLs, etc" from users without SUPER (SHOW CREATE
    # PIPELINE, "Remarks", https://docs.singlestore.com/db/v9.1/reference/sql-reference/show-commands/show-create-pipeline/,
    # 9.1). An endpoint that is not host[:port]/topic cannot be compared: the caller must not act on it.
    d["endpoint_readable"] = bool(slash and d["brokers"] and d["topic"])
    while p.peek() is not None and not p.at("INTO"):
        if p.accept("CONFIG"):
            raw = p.string()
            try:
                d["config"] = json.loads(raw) if raw.strip() else {}
            except ValueError:
                d["config"] = raw
        elif p.accept("CREDENTIALS"):
            # whatever the server shows (the JSON to a SUPER user, a hidden form to others): only its presence counts
            p.take()
            d["has_credentials"] = True
        elif any(p.at(keyword) for keyword in CARRIED.values()):
            key = p.take().value.lower()
            d[key] = p.integer()
        elif p.accept("STOP_ON_ERROR"):
            d["stop_on_error"] = {"ON": True, "OFF": False}.get(p.take().value.upper())
        elif p.at("SKIP") or p.at("IGNORE"):
            words = [p.take().value.upper()]
            if words[0] == "SKIP" or any(p.at(w) for w in ("PARSER", "CONSTRAINT", "ALL", "DUPLICATE")):
                while p.peek() is not None and not p.at("ERRORS"):
                    words.append(p.take().value.upper())
                p.expect("ERRORS")
                words.append("ERRORS")
            d["errors"].append(" ".join(words))
        elif p.accept("REPLACE"):
            d["errors"].append("REPLACE")
        else:
            tokens = [p.take()] + p.until([(k,) for k in _Parser.PRE])
            clause = p.display(tokens)
            if clause.upper() in DEFAULTS_PRINTED:
                d["defaults"].append(clause)
            else:
                d["other"].append(clause)  # shown (whitespace folded)
                d["other_raw"].append(p.text[tokens[0].start : tokens[-1].end])  # carried over as the server printed it
    p.expect("INTO")
    d["target_kind"] = p.take().value.lower()
    d["target"] = p.name()
    d["format"] = "csv"
    while p.peek() is not None:
        if p.accept("FORMAT"):
            d["format"] = p.take().value.lower()
            if d["format"] == "json" and p.next_is("("):
                d["mapping"] = _mapping(p, p.group(), qualifiers)
        elif p.accept("FIELDS") or p.accept("COLUMNS"):
            while True:
                if p.accept("TERMINATED", "BY"):
                    d["csv"]["fields_terminated_by"] = p.string()
                elif p.accept("OPTIONALLY", "ENCLOSED", "BY") or p.accept("ENCLOSED", "BY"):
                    d["csv"]["enclosed_by"] = p.string()
                elif p.accept("ESCAPED", "BY"):
                    d["csv"]["escaped_by"] = p.string()
                else:
                    break
        elif p.accept("LINES"):
            while True:
                if p.accept("TERMINATED", "BY"):
                    d["csv"]["lines_terminated_by"] = p.string()
                elif p.accept("STARTING", "BY"):
                    d["csv"]["lines_starting_by"] = p.string()
                else:
                    break
        elif p.next_is("(") and d["format"] == "csv":
            for part in _split(p.group()):
                column, qualifier = _target(p, part, "a column or @variable")
                qualifiers += [qualifier] if qualifier is not None else []
                d["columns"].append(column)
        elif p.accept("SET"):
            d["set"] = _pairs(p, p.until([s for s in _Parser.EXPR if s != ("SET",)]), qualifiers)
        elif p.accept("WHERE"):
            tokens = p.until([s for s in _Parser.EXPR if s != ("WHERE",)])
            d["where"] = (p.display(tokens), norm(tokens))
        elif p.accept("ON", "DUPLICATE", "KEY", "UPDATE"):
            d["odku"] = _pairs(p, p.until([s for s in _Parser.EXPR if s[0] != "ON"]), qualifiers)
        else:
            start = p.take()
            d["other_tail"].append(p.display([start] + p.until(_Parser.TAIL)))
    wrong = sorted({q for q in qualifiers if q != d["target"]})
    if wrong:
        raise DefinitionError(
            f"column targets are qualified with table {', '.join(repr(q) for q in wrong)}, not with the pipeline's "
            f"{d['target_kind']} {d['target']!r}"
        )
    return d
