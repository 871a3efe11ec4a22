# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SingleStore Kafka pipelines: canonical rendering, parsing of SHOW CREATE PIPELINE, comparison, the
module's object class, and ``pipelines_info()`` for singlestore_info.

The comparison follows reference/singlestore.md section 8: the module renders the CREATE PIPELINE
statement it wants, and both that text and the server's ``SHOW CREATE PIPELINE`` text go through the
same tokenizer and clause parser. Tokens are compared without whitespace and backquotes (keywords and
identifiers case-insensitively, string literals by their decoded value, the table name exactly); the
CREDENTIALS clause only counts as "present or not". Differences in tunables (BATCH_INTERVAL,
MAX_PARTITIONS_PER_BATCH, MAX_OFFSETS_PER_BATCH_PARTITION, STOP_ON_ERROR) become one ALTER PIPELINE each;
any other difference becomes CREATE OR REPLACE PIPELINE, which keeps the offsets.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable, NamedTuple

from ansible_collections.transactions_st.realtime.plugins.module_utils._base import (
    SECRET_PLACEHOLDER,
    ManagedObject,
    ModuleError,
    Statement,
    _literal,
    scrub,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._connection import describe_error
from ansible_collections.transactions_st.realtime.plugins.module_utils._quoting import quote_identifier, validate_identifier

try:
    from pymysql.err import MySQLError
except ImportError:  # pragma: no cover - reported by connect()
    class MySQLError(Exception):  # type: ignore[no-redef]
        pass

# Settings ALTER PIPELINE changes in place (module option -> SQL keyword).
TUNABLES = {
    "batch_interval": "BATCH_INTERVAL",
    "max_partitions_per_batch": "MAX_PARTITIONS_PER_BATCH",
    "max_offsets_per_batch_partition": "MAX_OFFSETS_PER_BATCH_PARTITION",
}
# Also carried over by CREATE OR REPLACE when the server has it (not a module option).
CARRIED = dict(TUNABLES, max_retries_per_batch_partition="MAX_RETRIES_PER_BATCH_PARTITION")
ON_DUPLICATE_CLAUSE = {"skip": "SKIP DUPLICATE KEY ERRORS", "replace": "REPLACE", "ignore": "IGNORE"}
CSV_DEFAULTS = {"fields_terminated_by": "\t", "enclosed_by": "", "escaped_by": "\\", "lines_terminated_by": "\n",
                "lines_starting_by": ""}
DEFAULT_KAFKA_PORT = 9092
_TOPIC = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
_BROKER = re.compile(r"^[A-Za-z0-9._\-\[\]:]+$")
_VARIABLE = re.compile(r"^@[A-Za-z_][A-Za-z0-9_]{0,63}$")
_SECRET_KEY = r"[^\"']*(?:password|passwd|secret|token|credential|private|key)[^\"']*"
_SECRET_JSON = re.compile(r"(\"" + _SECRET_KEY + r"\"\s*:\s*)(\"(?:[^\"\\]|\\.)*\"|[^,}\s]+)", re.IGNORECASE)
_CREDENTIALS_CLAUSE = re.compile(r"(CREDENTIALS\s+)('(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.|\"\")*\")", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------------
# Scrubbing
# ---------------------------------------------------------------------------------------------------
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
        return {k: (SECRET_PLACEHOLDER if k.lower() == "credentials" or re.fullmatch(_SECRET_KEY, k, re.IGNORECASE) and value[k]
                    else scrub_config(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_config(v) for v in value]
    return value


class PipelineStatement(Statement):
    """A Statement whose credentials JSON and each of its values are scrubbed from any error text."""

    __slots__ = ("hidden",)

    def __init__(self, sql: str, params: dict[str, Any] | None = None, secrets: Iterable[str] = (), hidden: Iterable[str] = ()) -> None:
        super().__init__(sql, params if params is not None else {}, secrets)
        self.hidden = [str(v) for v in hidden if v not in (None, "")]

    def secret_values(self) -> list[str]:
        # Longest first, so a value that contains another is replaced whole.
        return sorted(set(super().secret_values()) | set(self.hidden), key=len, reverse=True)

    def canonical(self) -> str:
        """The statement with literal values, credentials shown as a placeholder string."""
        shown = {key: ("'<hidden>'" if key in self.secrets else _literal(value)) for key, value in dict(self.params).items()}
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


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<str>'(?:[^'\\]|\\.|'')*')
  | (?P<dstr>"(?:[^"\\]|\\.|"")*")
  | (?P<ident>`(?:[^`]|``)*`)
  | (?P<var>@@?[A-Za-z0-9_$.]+)
  | (?P<num>\d+(?:\.\d+)?(?![A-Za-z_$]))
  | (?P<word>[A-Za-z0-9_$]+)
  | (?P<op><-|::|<=>|<=|>=|<>|!=|:=|\|\||&&)
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "Z": "\x1a", "b": "\b"}


def _unescape(body: str, quote: str) -> str:
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            out.append(_ESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
        elif ch == quote and body[i + 1:i + 2] == quote:
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


class _Parser:
    # Clause keywords before INTO (anything else there is kept as an unmanaged clause).
    PRE = ("CONFIG", "CREDENTIALS", "BATCH_INTERVAL", "MAX_PARTITIONS_PER_BATCH", "MAX_RETRIES_PER_BATCH_PARTITION",
           "MAX_OFFSETS_PER_BATCH_PARTITION", "STOP_ON_ERROR", "SKIP", "IGNORE", "REPLACE", "INTO", "RESOURCE", "ENABLE",
           "DISABLE", "WITH", "RETRY_OPTIONS")
    TAIL = (("SET",), ("WHERE",), ("ON", "DUPLICATE", "KEY", "UPDATE"), ("NULL", "DEFINED", "BY"), ("FIELDS",), ("COLUMNS",),
            ("LINES",), ("FORMAT",), ("IGNORE",))
    # What may follow SET / WHERE / ON DUPLICATE KEY UPDATE (their expressions may hold FORMAT(), IGNORE ...).
    EXPR = (("SET",), ("WHERE",), ("ON", "DUPLICATE", "KEY", "UPDATE"), ("NULL", "DEFINED", "BY"))

    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = tokenize(text)
        self.i = 0

    def peek(self, k: int = 0) -> Token | None:
        return self.toks[self.i + k] if self.i + k < len(self.toks) else None

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
        return self.text[tok.start:tok.start + 30] if tok else "<end>"

    def take(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise DefinitionError("unexpected end of the pipeline definition")
        self.i += 1
        return tok

    def name(self) -> str:
        tok = self.take()
        if tok.kind not in ("ident", "word"):
            raise DefinitionError(f"expected a name near {self.near()!r}")
        if self.peek() is not None and self.peek().text == ".":
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
        if self.peek() is None or self.peek().text != "(":
            raise DefinitionError(f"expected '(' near {self.near()!r}")
        depth, start = 0, self.i
        while self.i < len(self.toks):
            text = self.toks[self.i].text
            depth += 1 if text == "(" else -1 if text == ")" else 0
            self.i += 1
            if depth == 0:
                return self.toks[start + 1:self.i - 1]
        raise DefinitionError("unbalanced parentheses")

    def until(self, stops: Iterable[tuple[str, ...]]) -> list[Token]:
        depth, start = 0, self.i
        while self.i < len(self.toks):
            tok = self.toks[self.i]
            if depth == 0 and any(self.at(*stop) for stop in stops):
                break
            depth += 1 if tok.text == "(" else -1 if tok.text == ")" else 0
            self.i += 1
        return self.toks[start:self.i]

    def display(self, tokens: list[Token]) -> str:
        return re.sub(r"\s+", " ", self.text[tokens[0].start:tokens[-1].end]).strip() if tokens else ""


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


def _pairs(p: _Parser, tokens: list[Token]) -> list[tuple[str, str, str]]:
    """``col = expr, ...`` -> [(column, display expression, normalised expression)]."""
    out = []
    for part in _split(tokens):
        eq = next((k for k, t in enumerate(part) if t.text == "="), None)
        if eq is None or eq == 0:
            raise DefinitionError(f"expected 'column = expression' in {p.display(part)!r}")
        column = part[eq - 1].value
        out.append((column, p.display(part[eq + 1:]), norm(part[eq + 1:])))
    return out


def _mapping(p: _Parser, tokens: list[Token]) -> list[dict[str, Any]]:
    out = []
    for part in _split(tokens):
        arrow = next((k for k, t in enumerate(part) if t.text == "<-"), None)
        if arrow != 1:
            raise DefinitionError(f"expected 'column <- path' in {p.display(part)!r}")
        rest = part[2:]
        cut = next((k for k, t in enumerate(rest) if t.kind == "word" and t.value.upper() == "DEFAULT"), len(rest))
        segments = [t.value for t in rest[:cut] if t.text != "::"]
        if len(segments) > 1 and segments[0] == "%":
            segments = segments[1:]
        entry: dict[str, Any] = {"column": part[0].value if part[0].kind != "var" else part[0].text, "path": "::".join(segments)}
        default = rest[cut + 1:]
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
    d: dict[str, Any] = {"aggregator": p.accept("AGGREGATOR"), "config": None, "has_credentials": False, "stop_on_error": None,
                         "errors": [], "mapping": [], "columns": [], "csv": {}, "set": [], "where": None, "odku": [], "other": []}
    d.update({key: None for key in CARRIED})
    p.expect("PIPELINE")
    p.accept("IF", "NOT", "EXISTS")
    d["name"] = p.name()
    p.expect("AS", "LOAD", "DATA")
    d["source"] = p.take().value.upper()
    endpoint = p.string()
    hosts, _slash, d["topic"] = endpoint.rpartition("/")
    d["brokers"] = [h.strip() for h in hosts.split(",") if h.strip()]
    while p.peek() is not None and not p.at("INTO"):
        if p.accept("CONFIG"):
            raw = p.string()
            try:
                d["config"] = json.loads(raw) if raw.strip() else {}
            except ValueError:
                d["config"] = raw
        elif p.accept("CREDENTIALS"):
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
            start = p.take()
            rest = p.until([(k,) for k in _Parser.PRE])
            d["other"].append(p.display([start] + rest))
    p.expect("INTO")
    d["target_kind"] = p.take().value.lower()
    d["target"] = p.name()
    d["format"] = "csv"
    while p.peek() is not None:
        if p.accept("FORMAT"):
            d["format"] = p.take().value.lower()
            if d["format"] == "json" and p.peek() is not None and p.peek().text == "(":
                d["mapping"] = _mapping(p, p.group())
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
        elif p.peek().text == "(" and d["format"] == "csv":
            d["columns"] = [part[-1].text if part[-1].kind == "var" else part[-1].value for part in _split(p.group())]
        elif p.accept("SET"):
            d["set"] = _pairs(p, p.until([s for s in _Parser.EXPR if s != ("SET",)]))
        elif p.accept("WHERE"):
            tokens = p.until([s for s in _Parser.EXPR if s != ("WHERE",)])
            d["where"] = (p.display(tokens), norm(tokens))
        elif p.accept("ON", "DUPLICATE", "KEY", "UPDATE"):
            d["odku"] = _pairs(p, p.until([s for s in _Parser.EXPR if s[0] != "ON"]))
        else:
            start = p.take()
            d["other"].append(p.display([start] + p.until(_Parser.TAIL)))
    return d


def _broker_key(broker: str) -> str:
    broker = broker.strip().lower()
    return broker if re.search(r":\d+$", broker) else f"{broker}:{DEFAULT_KAFKA_PORT}"


def on_duplicate_of(d: dict[str, Any]) -> str:
    if d["odku"]:
        return "update" if not d["errors"] else "update + " + " ".join(d["errors"]).lower()
    if not d["errors"]:
        return "error"
    reverse = {v: k for k, v in ON_DUPLICATE_CLAUSE.items()}
    return reverse.get(" ".join(d["errors"]), " ".join(d["errors"]).lower())


def signature(d: dict[str, Any]) -> dict[str, Any]:
    """Everything but the tunables and the credentials, in comparable form."""
    csv = dict(CSV_DEFAULTS, **d["csv"]) if d["format"] == "csv" else {}
    return {
        "aggregator": d["aggregator"], "source": d["source"], "brokers": sorted(_broker_key(b) for b in d["brokers"]),
        "topic": d["topic"], "config": d["config"] or {}, "errors": d["errors"], "target": [d["target_kind"], d["target"]],
        "format": d["format"], "csv": csv, "columns": [c.lower() for c in d["columns"]],
        "mapping": [[m["column"].lower(), m["path"], m.get("_default")] for m in d["mapping"]],
        "set": [[c.lower(), n] for c, _shown, n in d["set"]], "where": d["where"][1] if d["where"] else None,
        "odku": [[c.lower(), n] for c, _shown, n in d["odku"]],
    }  # unmanaged clauses (d["other"]) are not compared: the server may print defaults this module never renders


def public(d: dict[str, Any]) -> dict[str, Any]:
    """The definition as the module returns it (no credentials, expressions as the server shows them)."""
    out: dict[str, Any] = {
        "brokers": [_broker_key(b) for b in d["brokers"]], "topic": d["topic"], "config": scrub_config(d["config"]) if d["config"] else None,
        "has_credentials": d["has_credentials"], "format": d["format"], "on_duplicate": on_duplicate_of(d),
        "on_duplicate_update": {c: e for c, e, _norm in d["odku"]} or None, "set": {c: e for c, e, _norm in d["set"]} or None,
        "where": d["where"][0] if d["where"] else None,
        "mapping": [{k: v for k, v in m.items() if not k.startswith("_")} for m in d["mapping"]] or None,
        "csv": dict(CSV_DEFAULTS, **d["csv"], columns=d["columns"] or None) if d["format"] == "csv" else None,
        "table": d["target"] if d["target_kind"] == "table" else None,
        "procedure": d["target"] if d["target_kind"] == "procedure" else None,
        "stop_on_error": d["stop_on_error"], "unmanaged_clauses": d["other"],
    }
    out.update({key: d[key] for key in CARRIED})
    return out


# ---------------------------------------------------------------------------------------------------
# The desired definition, rendered from the module's options
# ---------------------------------------------------------------------------------------------------
def _expression(text: Any, what: str) -> str:
    """A user SQL expression: refused with a statement separator outside quotes; ``%`` escaped for the driver."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        text = str(text)
    if not isinstance(text, str) or not text.strip():
        raise ModuleError(f"{what} must be a non-empty SQL expression")
    if any(t.text == ";" for t in tokenize(text)):
        raise ModuleError(f"{what} contains a ';' outside a string: one expression only")
    return text.strip().replace("%", "%%")


def _target_name(column: str, what: str) -> str:
    if column.startswith("@"):
        if not _VARIABLE.match(column):
            raise ModuleError(f"{what}: {column!r} is not a plain variable name (@ then letters, digits, underscore)")
        return column
    return quote_identifier(column, what)


def _path(path: Any) -> str:
    if not isinstance(path, str) or not path.strip():
        raise ModuleError("mapping: every entry needs a path ('%' or 'key::key')")
    segments = [s.strip() for s in path.strip().split("::")]
    if len(segments) > 1 and segments[0] == "%":
        segments = segments[1:]
    if segments == ["%"]:
        return "%%"
    return "::".join(quote_identifier(s, "JSON path key") for s in segments)


def desired_statement(params: dict[str, Any], carried: dict[str, Any], or_replace: bool, credentials: bool) -> PipelineStatement:
    """CREATE [OR REPLACE] PIPELINE for the task (one clause per line, as SHOW CREATE PIPELINE prints it)."""
    kafka = params["kafka"] or {}
    brokers, topic = kafka.get("brokers") or [], kafka.get("topic")
    if not brokers:
        raise ModuleError("kafka.brokers must list at least one host[:port]")
    for broker in brokers:
        if not _BROKER.match(str(broker)):
            raise ModuleError(f"kafka.brokers: {broker!r} is not host[:port]")
    if not isinstance(topic, str) or not _TOPIC.match(topic):
        raise ModuleError(f"kafka.topic {topic!r} is not a valid Kafka topic name (letters, digits, '.', '_', '-')")
    values: dict[str, Any] = {"endpoint": ",".join(str(b) for b in brokers) + "/" + topic}
    aggregator = "AGGREGATOR " if carried.get("aggregator") else ""  # not managed: kept as the server has it
    lines = [f"CREATE {'OR REPLACE ' if or_replace else ''}{aggregator}PIPELINE {quote_identifier(params['name'], 'pipeline name')}",
             "AS LOAD DATA KAFKA %(endpoint)s"]
    if kafka.get("config"):
        values["config"] = json.dumps(kafka["config"], sort_keys=True)
        lines.append("CONFIG %(config)s")
    hidden: list[str] = []
    if credentials:
        values["credentials"] = json.dumps(kafka.get("credentials") or {}, sort_keys=True)
        hidden = [values["credentials"]] + [str(v) for v in (kafka.get("credentials") or {}).values()]
        lines.append("CREDENTIALS %(credentials)s")
    for key, keyword in CARRIED.items():
        value = params.get(key) if params.get(key) is not None else carried.get(key)
        if value is not None:
            lines.append(f"{keyword} {int(value)}")
    on_duplicate = params["on_duplicate"]
    if on_duplicate in ON_DUPLICATE_CLAUSE:
        lines.append(ON_DUPLICATE_CLAUSE[on_duplicate])
    stop_on_error = params["stop_on_error"] if params["stop_on_error"] is not None else carried.get("stop_on_error")
    if stop_on_error is not None:
        lines.append(f"STOP_ON_ERROR {'ON' if stop_on_error else 'OFF'}")
    if params.get("procedure"):
        lines.append(f"INTO PROCEDURE {quote_identifier(params['procedure'], 'procedure name')}")
    else:
        lines.append(f"INTO TABLE {quote_identifier(params['table'], 'table name')}")
    lines.extend(_format_lines(params, values))
    if params.get("set"):
        lines.append("SET " + ",\n".join(f"{_target_name(c, 'set column')} = {_expression(e, f'set[{c}]')}"
                                         for c, e in params["set"].items()))
    if params.get("where") is not None:
        lines.append("WHERE " + _expression(params["where"], "where"))
    if on_duplicate == "update":
        if not params.get("on_duplicate_update"):
            raise ModuleError("on_duplicate=update needs on_duplicate_update (column: expression)")
        lines.append("ON DUPLICATE KEY UPDATE " + ",\n".join(
            f"{quote_identifier(c, 'on_duplicate_update column')} = {_expression(e, f'on_duplicate_update[{c}]')}"
            for c, e in params["on_duplicate_update"].items()))
    elif params.get("on_duplicate_update"):
        raise ModuleError("on_duplicate_update is only used with on_duplicate=update")
    return PipelineStatement("\n".join(lines), values, secrets=("credentials",) if credentials else (), hidden=hidden)


def _format_lines(params: dict[str, Any], values: dict[str, Any]) -> list[str]:
    lines = []
    if params["format"] == "json":
        if params.get("csv"):
            raise ModuleError("csv options are for format=csv; this pipeline is format=json")
        lines.append("FORMAT JSON")
        entries = []
        for i, entry in enumerate(params.get("mapping") or []):
            if not entry.get("column"):
                raise ModuleError("mapping: every entry needs a column (or @variable)")
            text = f"{_target_name(entry['column'], 'mapping column')} <- {_path(entry.get('path'))}"
            if entry.get("default") is not None:
                values[f"default{i}"] = entry["default"]
                text += f" DEFAULT %(default{i})s"
            entries.append(text)
        if entries:
            lines.append("(" + ",\n".join(entries) + ")")
        return lines
    if params.get("mapping"):
        raise ModuleError("mapping is for format=json; use csv.columns with format=csv")
    csv = params.get("csv") or {}
    fields = []
    for key, words in (("fields_terminated_by", "TERMINATED BY"), ("enclosed_by", "ENCLOSED BY"), ("escaped_by", "ESCAPED BY")):
        if csv.get(key) is not None:
            values[key] = csv[key]
            fields.append(f"{words} %({key})s")
    if fields:
        lines.append("FIELDS " + " ".join(fields))
    if csv.get("lines_terminated_by") is not None:
        values["lines_terminated_by"] = csv["lines_terminated_by"]
        lines.append("LINES TERMINATED BY %(lines_terminated_by)s")
    if csv.get("columns"):
        lines.append("(" + ", ".join(_target_name(c, "csv column") for c in csv["columns"]) + ")")
    return lines


# ---------------------------------------------------------------------------------------------------
# The module's object
# ---------------------------------------------------------------------------------------------------
class Pipeline(ManagedObject):
    """A Kafka pipeline: read (PIPELINES + SHOW CREATE PIPELINE) -> plan -> apply, honouring its state machine."""

    result_key = "pipeline"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.database = validate_identifier(self.params["database"], "database name")
        self.name = validate_identifier(self.params["name"], "pipeline name")
        self.qname = quote_identifier(self.name, "pipeline name")
        self.definition: dict[str, Any] | None = None  # the server's, parsed (read)
        self.desired: dict[str, Any] = {}  # our rendering, parsed (plan)
        self.cursors: list[dict[str, Any]] = []
        self.steps: list[tuple[str, PipelineStatement]] = []
        self.result: dict[str, Any] = {}
        self.secrets = [str(v) for v in ((self.params.get("kafka") or {}).get("credentials") or {}).values()]

    # -- read ------------------------------------------------------------------------------------
    def read(self) -> dict[str, Any] | None:
        rows = self.conn.query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (self.database,))
        if not any(r["SCHEMA_NAME"] == self.database for r in rows):
            return None
        self.conn.raw.select_db(self.database)
        rows = self.conn.query("SELECT PIPELINE_NAME, STATE FROM information_schema.PIPELINES WHERE DATABASE_NAME = %s AND "
                               "PIPELINE_NAME = %s", (self.database, self.name))
        rows = [r for r in rows if r["PIPELINE_NAME"] == self.name]
        if not rows:
            return None
        text = self.conn.query(f"SHOW CREATE PIPELINE {self.qname.replace('%%', '%')}")[0]
        create = text.get("Create Pipeline") or list(text.values())[1]
        try:
            self.definition = parse_definition(create)
        except DefinitionError as exc:
            raise ModuleError(f"cannot read the definition of pipeline {self.database}.{self.name}: {exc}") from None
        return dict(public(self.definition), database=self.database, name=self.name, state=str(rows[0]["STATE"]))

    def read_cursors(self) -> list[dict[str, Any]]:
        return self.conn.query("SELECT SOURCE_PARTITION_ID, EARLIEST_OFFSET, LATEST_OFFSET, CURSOR_OFFSET FROM "
                               "information_schema.PIPELINES_CURSORS WHERE DATABASE_NAME = %s AND PIPELINE_NAME = %s",
                               (self.database, self.name))

    def target_exists(self) -> bool:
        if self.params.get("procedure"):
            rows = self.conn.query("SELECT ROUTINE_NAME AS n FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %s AND "
                                   "ROUTINE_NAME = %s", (self.database, self.params["procedure"]))
            return any(r["n"] == self.params["procedure"] for r in rows)
        rows = self.conn.query("SELECT TABLE_NAME AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s",
                               (self.database, self.params["table"]))
        return any(r["n"] == self.params["table"] for r in rows)

    # -- plan ------------------------------------------------------------------------------------
    def stmt(self, sql: str) -> PipelineStatement:
        return PipelineStatement(sql.replace("{p}", self.qname))

    def plan(self, before: dict[str, Any] | None) -> list[Statement]:
        p = self.params
        self.steps = []
        if p["state"] == "absent":
            if before is not None:
                self.steps.append(("config", self.stmt("DROP PIPELINE {p}")))
            return [stmt for _kind, stmt in self.steps]
        where = f"pipeline {self.database}.{self.name}"
        for key, low in (("batch_interval", 0), ("max_partitions_per_batch", 1), ("max_offsets_per_batch_partition", 1),
                         ("test_limit", 1), ("foreground_batches", 1)):
            if p[key] is not None and p[key] < low:
                raise ModuleError(f"{key} must be at least {low}, got {p[key]}")
        exists = before is not None or self.conn.query("SELECT 1 AS x FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
                                                       (self.database,))
        if not exists or not self.target_exists():
            what = f"database {self.database!r}" if not exists else \
                f"target {'procedure' if p.get('procedure') else 'table'} {self.database}.{p.get('procedure') or p['table']}"
            if not self.module.check_mode:
                raise ModuleError(f"{what} does not exist; create it before {where} (nothing was changed)")
            self.module.warn(f"{what} does not exist yet: the real run fails unless an earlier task creates it")
        running = before is not None and before["state"] == "Running"
        config = self.config_plan(before)
        actions = []
        if p["test"]:
            actions.append(("test", self.stmt(f"TEST PIPELINE {{p}} LIMIT {int(p['test_limit'])}")))
        if p["foreground_batches"]:
            actions.append(("foreground", self.stmt(f"START PIPELINE {{p}} FOREGROUND LIMIT {int(p['foreground_batches'])} BATCHES")))
        stopped_here = running and bool(config or actions or p["state"] == "stopped")
        if stopped_here:
            self.steps.append(("state", self.stmt("STOP PIPELINE {p}")))
        self.steps += config + actions
        if p["state"] == "started" and (stopped_here or before is None or before["state"] != "Running"):
            self.steps.append(("state", self.stmt("START PIPELINE {p}")))
        elif p["state"] == "present" and stopped_here:
            self.steps.append(("state", self.stmt("START PIPELINE {p}")))
        return [stmt for _kind, stmt in self.steps]

    def config_plan(self, before: dict[str, Any] | None) -> list[tuple[str, PipelineStatement]]:
        p = self.params
        has_credentials = bool((p["kafka"] or {}).get("credentials"))
        if before is None:
            create = desired_statement(p, {}, False, has_credentials)
            self.desired = parse_definition(create.canonical())
            steps = [("config", create)]
            if p["start_from"] == "latest":
                steps.append(("config", self.stmt("ALTER PIPELINE {p} SET OFFSETS LATEST")))
            return steps
        current = self.definition
        carried = {k: current[k] for k in CARRIED}
        carried.update(stop_on_error=current["stop_on_error"], aggregator=current["aggregator"])
        replace = desired_statement(p, carried, True, has_credentials)
        self.desired = parse_definition(replace.canonical())
        steps: list[tuple[str, PipelineStatement]] = []
        if signature(self.desired) != signature(current):
            if current["has_credentials"] and not has_credentials:
                raise ModuleError(f"pipeline {self.database}.{self.name} must be replaced (CREATE OR REPLACE PIPELINE) to match the "
                                  "task, and it has credentials that cannot be read back; give kafka.credentials so they are kept")
            if current["other"]:
                self.module.warn(f"replacing pipeline {self.database}.{self.name} drops clauses this module does not manage: "
                                 + "; ".join(scrub_text(c) for c in current["other"]))
            steps.append(("config", replace))
        else:
            self.desired.update(has_credentials=current["has_credentials"], other=current["other"])  # ALTER keeps them
            for key, keyword in TUNABLES.items():
                if p[key] is not None and p[key] != current[key]:
                    steps.append(("config", self.stmt(f"ALTER PIPELINE {{p}} SET {keyword} {int(p[key])}")))
            if p["stop_on_error"] is not None and p["stop_on_error"] != current["stop_on_error"]:
                steps.append(("config", self.stmt(f"ALTER PIPELINE {{p}} STOP_ON_ERROR {'ON' if p['stop_on_error'] else 'OFF'}")))
            if has_credentials and p["update_credentials"] == "always":
                alter = PipelineStatement(f"ALTER PIPELINE {self.qname} SET CREDENTIALS %(credentials)s",
                                          {"credentials": replace.params["credentials"]}, ("credentials",), replace.hidden)
                steps.append(("credentials", alter))
                self.desired["has_credentials"] = True
        if p["reset_offsets"]:
            self.cursors = self.read_cursors()
            if any(int(c["CURSOR_OFFSET"]) != int(c["EARLIEST_OFFSET"]) for c in self.cursors):
                steps.append(("offsets", self.stmt("ALTER PIPELINE {p} SET OFFSETS EARLIEST")))
        return steps

    def predict(self, before: dict[str, Any] | None) -> dict[str, Any] | None:
        if self.params["state"] == "absent":
            return None
        after = dict(public(self.desired), database=self.database, name=self.name)
        state = (before or {}).get("state", "Stopped")
        if self.params["state"] == "started":
            state = "Running"
        elif self.params["state"] == "stopped" and state != "Error":
            state = "Stopped"  # an Error pipeline is already stopped: left as it is
        after["state"] = state
        return after

    # -- apply -----------------------------------------------------------------------------------
    def apply(self, plan: Any = None) -> None:
        stopped = False
        for kind, stmt in self.steps:
            try:
                rows, count = self.conn.execute(stmt.sql, stmt.params)
            except MySQLError as exc:
                message = scrub_text(describe_error(exc, self.params), stmt.secret_values() + self.secrets)
                done = f" after {len(self.executed)} successful statement(s)" if self.executed else " (nothing was changed)"
                raise ModuleError(f"{message} while running: {stmt.display()}{done}{self.restart(stopped)}") from None
            self.executed.append(stmt.display())
            stopped = stopped or stmt.sql.startswith("STOP PIPELINE")
            if kind == "test":
                self.result["test_rows"] = json.loads(json.dumps(rows or [], default=str))
            elif kind == "foreground":
                self.result["rows_loaded"] = max(int(count or 0), 0)

    def restart(self, stopped: bool) -> str:
        """After a failure: start again a pipeline this task stopped (unless the task wants it stopped)."""
        if not stopped or self.params["state"] == "stopped":
            return ""
        try:
            self.conn.execute(f"START PIPELINE IF NOT RUNNING {self.qname}", ())
        except MySQLError as exc:
            return f"; the pipeline was stopped by this task and could not be started again: {describe_error(exc, self.params)}"
        return "; the pipeline was started again"

    def run(self) -> dict[str, Any]:
        if not self.conn.is_singlestore:
            raise ModuleError(f"pipelines are a SingleStore feature; the server is {self.conn.label}")
        before = self.read()
        plan = self.plan(before)
        queries = [stmt.display() for stmt in plan]
        kinds = {kind for kind, _stmt in self.steps}
        if plan and not self.module.check_mode:
            self.apply(plan)
            after = self.read()
            changed = (self.public_state(before) != self.public_state(after) or bool(kinds & {"offsets", "credentials"})
                       or self.result.get("rows_loaded", 0) > 0)
        else:
            after = self.predict(before) if plan else before
            changed = bool(kinds & {"config", "offsets", "credentials"}) or (before or {}).get("state") != (after or {}).get("state")
            if kinds & {"test", "foreground"}:
                self.module.warn("TEST / FOREGROUND statements are planned but not run in check mode")
        result: dict[str, Any] = dict(self.result, changed=changed, queries=queries)
        result[self.result_key] = self.public_state(after)
        if self.module._diff:
            result["diff"] = dict(before=self.public_state(before), after=self.public_state(after))
        return result


def argument_spec() -> dict[str, Any]:
    """The module's own options (connection options are added by run_module)."""
    mapping = dict(column=dict(type="str", required=True), path=dict(type="str", required=True), default=dict(type="raw"))
    csv = dict(fields_terminated_by=dict(type="str"), enclosed_by=dict(type="str"), escaped_by=dict(type="str"),
               lines_terminated_by=dict(type="str"), columns=dict(type="list", elements="str"))
    kafka = dict(brokers=dict(type="list", elements="str", required=True), topic=dict(type="str", required=True),
                 config=dict(type="dict"), credentials=dict(type="dict", no_log=True))
    return dict(
        database=dict(type="str", required=True, aliases=["db"]),
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "started", "stopped", "absent"]),
        kafka=dict(type="dict", options=kafka),
        table=dict(type="str"),
        procedure=dict(type="str"),
        format=dict(type="str", default="csv", choices=["csv", "json"]),
        mapping=dict(type="list", elements="dict", options=mapping),
        set=dict(type="dict"),
        where=dict(type="str"),
        csv=dict(type="dict", options=csv),
        on_duplicate=dict(type="str", default="error", choices=["error", "skip", "replace", "ignore", "update"]),
        on_duplicate_update=dict(type="dict"),
        batch_interval=dict(type="int"),
        max_partitions_per_batch=dict(type="int"),
        max_offsets_per_batch_partition=dict(type="int"),
        stop_on_error=dict(type="bool"),
        start_from=dict(type="str", default="earliest", choices=["earliest", "latest"]),
        reset_offsets=dict(type="bool", default=False),
        update_credentials=dict(type="str", default="on_create", choices=["always", "on_create"], no_log=False),
        test=dict(type="bool", default=False),
        test_limit=dict(type="int", default=10),
        foreground_batches=dict(type="int"),
    )


MODULE_KWARGS = dict(
    mutually_exclusive=[("table", "procedure")],
    required_if=[(state, value, ("kafka",)) for state, value in (("state", "present"), ("state", "started"), ("state", "stopped"))]
    + [("state", s, ("table", "procedure"), True) for s in ("present", "started", "stopped")],
)


# ---------------------------------------------------------------------------------------------------
# Facts for singlestore_info
# ---------------------------------------------------------------------------------------------------
def _number(value: Any) -> Any:
    if value is None or isinstance(value, (int, float, str, bool)):
        return value
    try:
        return float(value) if "." in str(value) else int(value)
    except (TypeError, ValueError):
        return str(value)


def pipelines_info(conn: Any, database: str | None = None, batches: int = 10, errors: int = 10) -> list[dict[str, Any]]:
    """Every pipeline (of ``database``, or all): state, definition, scrubbed CONFIG_JSON, per-partition lag,
    the latest ``batches`` batches and ``errors`` errors. Nothing returned holds credentials."""
    where, args = ("WHERE DATABASE_NAME = %s", (database,)) if database else ("", ())

    def rows(view: str, order: str) -> dict[tuple[str, str], list[dict[str, Any]]]:
        out: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for row in conn.query(f"SELECT * FROM information_schema.{view} {where} ORDER BY {order}", args):
            out.setdefault((row["DATABASE_NAME"], row["PIPELINE_NAME"]), []).append(row)
        return out

    cursors = rows("PIPELINES_CURSORS", "DATABASE_NAME, PIPELINE_NAME, SOURCE_PARTITION_ID")
    batch_rows = rows("PIPELINES_BATCHES_SUMMARY", "BATCH_ID DESC")
    error_rows = rows("PIPELINES_ERRORS", "ERROR_UNIX_TIMESTAMP DESC")
    result = []
    for row in conn.query(f"SELECT * FROM information_schema.PIPELINES {where} ORDER BY DATABASE_NAME, PIPELINE_NAME", args):
        key = (row["DATABASE_NAME"], row["PIPELINE_NAME"])
        partitions = []
        for cur in sorted(cursors.get(key, []), key=lambda c: (len(str(c["SOURCE_PARTITION_ID"])), str(c["SOURCE_PARTITION_ID"]))):
            latest, cursor = _number(cur.get("LATEST_OFFSET")), _number(cur.get("CURSOR_OFFSET"))
            partitions.append({"partition": str(cur["SOURCE_PARTITION_ID"]), "earliest_offset": _number(cur.get("EARLIEST_OFFSET")),
                               "latest_offset": latest, "cursor_offset": cursor,
                               "lag": latest - cursor if isinstance(latest, int) and isinstance(cursor, int) else None,
                               "updated": _number(cur.get("UPDATED_UNIX_TIMESTAMP"))})
        definition = None
        try:
            text = conn.query(f"SHOW CREATE PIPELINE {quote_identifier(key[0]).replace('%%', '%')}."
                              f"{quote_identifier(key[1]).replace('%%', '%')}")[0]
            definition = public(parse_definition(text.get("Create Pipeline") or list(text.values())[1]))
        except (MySQLError, DefinitionError, IndexError):
            definition = None
        result.append({
            "database": key[0], "name": key[1], "id": _number(row.get("PIPELINE_ID")), "state": row.get("STATE"),
            "config_json": scrub_config(row.get("CONFIG_JSON")), "definition": definition,
            "skipped_batch_partitions": _number(row.get("SKIPPED_BATCH_PARTITIONS")),
            "create_time": str(row["CREATE_TIME"]) if row.get("CREATE_TIME") is not None else None,
            "alter_time": str(row["ALTER_TIME"]) if row.get("ALTER_TIME") is not None else None,
            "partitions": partitions,
            "lag": sum(p["lag"] for p in partitions if p["lag"] is not None) if partitions else None,
            "batches": [{k.lower(): (str(v) if k == "START_TIME" and v is not None else _number(v)) for k, v in b.items()
                         if k not in ("DATABASE_NAME", "PIPELINE_NAME")} for b in batch_rows.get(key, [])[:batches]],
            "errors": [{k.lower(): scrub_text(_number(v)) for k, v in e.items() if k not in ("DATABASE_NAME", "PIPELINE_NAME")}
                       for e in error_rows.get(key, [])[:errors]],
        })
    return result
