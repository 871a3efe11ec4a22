"""Parse and render the pipeline statements of SingleStore.

Grammar: CREATE PIPELINE and ALTER PIPELINE
(https://docs.singlestore.com/cloud/reference/sql-reference/pipelines-commands/create-pipeline/, cloud;
https://docs.singlestore.com/db/v8.9/reference/sql-reference/pipelines-commands/alter-pipeline/, 8.9;
https://docs.singlestore.com/db/v9.0/reference/sql-reference/pipelines-commands/alter-pipeline/, 9.0).
Only the Kafka source and the clauses the collection uses are understood; anything else is a
``PipelineSyntaxError`` (reported to the client as error 1064), never silently ignored.

``render()`` prints what SHOW CREATE PIPELINE prints, in one of the two forms of the conformance corpus
(tests/conformance/singlestore/show_create_pipeline/): the docs' example (``legacy``: unqualified targets,
``(`a`,`b`)``) or the form of current servers (targets qualified with the table name, lists indented on lines of
their own, ``DEFAULT   NULL``, ``SET`` on a line of its own, and the clauses printed with their default values).
A definition parsed from text keeps the form it was written in, so parse -> render gives the text back; a pipeline
created through the engine is printed in the current form (``as_created()``). The tests hold every corpus case
against parse -> render (tests/unit/conformance/test_pipelines_double.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace

IDENT = r"(?:`(?:[^`]|``)+`|[A-Za-z0-9_$]+)"


class PipelineSyntaxError(Exception):
    """A pipeline statement this double does not understand."""


@dataclass(frozen=True)
class Mapping:
    target: str          # column name, or "@var"
    path: str            # "%" or "a::b::c"
    default: str | None  # SQL literal text, or None


@dataclass(frozen=True)
class PipelineDef:
    name: str
    database: str | None
    brokers: tuple[str, ...]               # as written (SHOW CREATE PIPELINE prints the endpoint as written)
    topic: str
    config: str | None = None
    credentials: str | None = None
    aggregator: bool = False
    batch_interval: int | None = None
    max_partitions_per_batch: int | None = None
    max_retries_per_batch_partition: int | None = None
    max_offsets_per_batch_partition: int | None = None
    resource_pool: str | None = None
    out_of_order: str | None = None        # "ENABLE" | "DISABLE" | None (not printed)
    offsets_metadata_gc: str | None = None  # "ENABLE" | "DISABLE" | None (not printed)
    error_handling: tuple[str, ...] = ()   # e.g. ("SKIP DUPLICATE KEY ERRORS",), ("REPLACE",)
    stop_on_error: str | None = None       # "ON" | "OFF" | None (engine default)
    target_kind: str = "TABLE"             # TABLE | PROCEDURE
    target: str = ""
    fmt: str = "CSV"                       # CSV | JSON
    mapping: tuple[Mapping, ...] = ()      # JSON
    columns: tuple[str, ...] = ()          # CSV column / @var list
    fields_terminated_by: str = "\t"
    fields_enclosed_by: str = ""
    fields_escaped_by: str = "\\"
    lines_terminated_by: str = "\n"
    lines_starting_by: str = ""
    set_clause: str | None = None          # "`c` = expr, ..." (targets unqualified, backquoted)
    where_clause: str | None = None
    on_duplicate_key_update: str | None = None  # as set_clause
    qualified: bool = False                # printed in the current form (see the module docstring)
    extra: dict = field(default_factory=dict, compare=False)

    # Settings ALTER PIPELINE can change; everything else is structural (CREATE OR REPLACE).
    TUNABLES = ("batch_interval", "max_partitions_per_batch", "max_retries_per_batch_partition",
                "max_offsets_per_batch_partition", "stop_on_error")

    @property
    def connection_string(self) -> str:
        return f"{','.join(self.brokers)}/{self.topic}"

    @property
    def bootstrap(self) -> tuple[str, ...]:
        """host:port of every broker (Kafka's port 9092 where the endpoint has none)."""
        return tuple(b if re.search(r":\d+$", b) else f"{b}:9092" for b in self.brokers)


def unquote_ident(text: str) -> str:
    text = text.strip()
    if text.startswith("`") and text.endswith("`"):
        return text[1:-1].replace("``", "`")
    return text


def quote_ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}


def sql_string(value: str) -> str:
    return "'" + "".join(_ESCAPES.get(ch, ch) for ch in value) + "'"


def _unquoted(text: str, start: int):
    """(index, character, parenthesis depth before it) for every character of ``text`` from
    ``start`` that is outside quotes and backticks; the scanning both group readers share."""
    depth, i, quote = 0, start, None
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\" and quote == "'":
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "'`\"":
            quote = ch
        else:
            yield i, ch, depth
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
        i += 1


class _Scanner:
    """A cursor over SQL text that knows quotes, backticks and parentheses."""

    def __init__(self, text: str):
        self.text = text.strip().rstrip(";").strip()
        self.pos = 0

    def skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def at_end(self) -> bool:
        self.skip_ws()
        return self.pos >= len(self.text)

    def peek_words(self, *words: str) -> bool:
        self.skip_ws()
        pattern = r"\s+".join(re.escape(w) for w in words) + r"\b"
        return re.match(pattern, self.text[self.pos:], re.IGNORECASE) is not None

    def accept(self, *words: str) -> bool:
        self.skip_ws()
        m = re.match(r"\s+".join(re.escape(w) for w in words) + r"\b", self.text[self.pos:], re.IGNORECASE)
        if m:
            self.pos += m.end()
            return True
        return False

    def expect(self, *words: str) -> None:
        if not self.accept(*words):
            raise PipelineSyntaxError(f"expected {' '.join(words)} near {self.rest()[:40]!r}")

    def rest(self) -> str:
        return self.text[self.pos:]

    def ident(self) -> str:
        self.skip_ws()
        m = re.match(IDENT, self.rest())
        if not m:
            raise PipelineSyntaxError(f"expected an identifier near {self.rest()[:40]!r}")
        self.pos += m.end()
        return unquote_ident(m.group(0))

    def qualified(self) -> tuple[str | None, str]:
        first = self.ident()
        if self.rest().startswith("."):
            self.pos += 1
            return first, self.ident()
        return None, first

    def integer(self) -> int:
        self.skip_ws()
        m = re.match(r"\d+", self.rest())
        if not m:
            raise PipelineSyntaxError(f"expected a number near {self.rest()[:40]!r}")
        self.pos += m.end()
        return int(m.group(0))

    def string(self) -> str:
        """A single-quoted SQL string, with backslash escapes and doubled quotes."""
        self.skip_ws()
        if not self.rest().startswith("'"):
            raise PipelineSyntaxError(f"expected a quoted string near {self.rest()[:40]!r}")
        out, i = [], self.pos + 1
        escapes = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", "'": "'", '"': '"'}
        while i < len(self.text):
            ch = self.text[i]
            if ch == "\\" and i + 1 < len(self.text):
                out.append(escapes.get(self.text[i + 1], self.text[i + 1]))
                i += 2
            elif ch == "'" and self.text[i + 1:i + 2] == "'":
                out.append("'")
                i += 2
            elif ch == "'":
                self.pos = i + 1
                return "".join(out)
            else:
                out.append(ch)
                i += 1
        raise PipelineSyntaxError("unterminated string")

    def balanced(self) -> str:
        """The text of a parenthesised group, without the outer parentheses."""
        self.skip_ws()
        if not self.rest().startswith("("):
            raise PipelineSyntaxError(f"expected '(' near {self.rest()[:40]!r}")
        for i, ch, depth in _unquoted(self.text, self.pos):
            if ch == ")" and depth == 1:
                inner = self.text[self.pos + 1:i]
                self.pos = i + 1
                return inner
        raise PipelineSyntaxError("unbalanced parentheses")

    def until_keywords(self, *stops: str) -> str:
        """Raw text up to the first top-level keyword sequence in ``stops`` (or the end)."""
        self.skip_ws()
        start = self.pos
        for i, ch, depth in _unquoted(self.text, start):
            if depth == 0 and ch not in "()" and (i == start or not (self.text[i - 1].isalnum() or self.text[i - 1] == "_")):
                for stop in stops:
                    if re.match(r"\s+".join(stop.split()) + r"\b", self.text[i:], re.IGNORECASE):
                        self.pos = i
                        return self.text[start:i].strip()
        self.pos = len(self.text)
        return self.text[start:].strip()


def split_top_level(text: str, sep: str = ",") -> list[str]:
    parts, depth, quote, buf = [], 0, None, []
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\" and quote == "'" and i + 1 < len(text):
                buf.append(text[i:i + 2])
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "'`\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append("".join(buf).strip())
            buf = []
            i += 1
            continue
        buf.append(ch)
        i += 1
    if "".join(buf).strip():
        parts.append("".join(buf).strip())
    return parts


_TARGET = r"(@[A-Za-z0-9_$]+|(?:" + IDENT + r"\s*\.\s*)?" + IDENT + r")"


def _target(text: str) -> tuple[str, bool]:
    """A mapping, column-list, SET or ON DUPLICATE KEY UPDATE target: (column or @var, whether it was qualified).

    Current servers qualify targets with the table name (corpus: show_create_pipeline/json_mapping_qualified.yml); the
    qualifier is not checked against the table (the corpus does not show what the server does with another name)."""
    text = text.strip()
    if text.startswith("@"):
        return text, False
    m = re.fullmatch(r"(" + IDENT + r")\s*\.\s*(" + IDENT + r")", text)
    if m:
        return unquote_ident(m.group(2)), True
    if not re.fullmatch(IDENT, text):
        raise PipelineSyntaxError(f"expected a column name, got {text!r}")
    return unquote_ident(text), False


def _parse_mapping(text: str) -> tuple[tuple[Mapping, ...], bool]:
    out, qualified = [], False
    for item in split_top_level(text):
        m = re.match(r"^\s*" + _TARGET + r"\s*<-\s*(.+?)(?:\s+DEFAULT\s+(.+))?\s*$", item, re.IGNORECASE | re.DOTALL)
        if not m:
            raise PipelineSyntaxError(f"bad JSON mapping entry {item!r}")
        target, was_qualified = _target(m.group(1))
        qualified = qualified or was_qualified
        path = "::".join(unquote_ident(p) for p in m.group(2).strip().split("::"))
        if path.startswith("%::"):
            path = path[3:]
        out.append(Mapping(target, path, m.group(3).strip() if m.group(3) else None))
    return tuple(out), qualified


def _parse_columns(text: str) -> tuple[tuple[str, ...], bool]:
    cols, qualified = [], False
    for item in split_top_level(text):
        column, was_qualified = _target(item)
        cols.append(column)
        qualified = qualified or was_qualified
    return tuple(cols), qualified


def assignments(text: str | None) -> list[tuple[str, str]]:
    """``c = expr, ...`` (SET, ON DUPLICATE KEY UPDATE) -> [(column, expression text)]; qualifiers dropped."""
    pairs = []
    for item in split_top_level(text or ""):
        eq = next((i for i, ch, depth in _unquoted(item, 0) if ch == "=" and depth == 0), None)
        if eq is None:
            raise PipelineSyntaxError(f"expected 'column = expression', got {item!r}")
        pairs.append((_target(item[:eq])[0], item[eq + 1:].strip()))
    return pairs


def _normal_assignments(text: str) -> str:
    return ", ".join(f"{c if c.startswith('@') else quote_ident(c)} = {e}" for c, e in assignments(text))


def parse_create(sql: str) -> tuple[PipelineDef, bool, bool]:
    """Parse CREATE [OR REPLACE] [AGGREGATOR] PIPELINE; returns (definition, or_replace, if_not_exists)."""
    s = _Scanner(sql)
    s.expect("CREATE")
    or_replace = s.accept("OR", "REPLACE")
    aggregator = s.accept("AGGREGATOR")
    s.expect("PIPELINE")
    if_not_exists = s.accept("IF", "NOT", "EXISTS")
    database, name = s.qualified()
    s.expect("AS")
    s.expect("LOAD", "DATA")
    if not s.accept("KAFKA"):
        raise PipelineSyntaxError("the double only imitates Kafka pipelines (LOAD DATA KAFKA)")
    endpoint = s.string()
    if "/" not in endpoint:
        raise PipelineSyntaxError(f"Kafka endpoint {endpoint!r} must be 'host[:port]/topic'")
    hosts, topic = endpoint.rsplit("/", 1)
    brokers = tuple(h.strip() for h in hosts.split(",") if h.strip())
    d: dict = {"name": name, "database": database, "brokers": brokers, "topic": topic, "aggregator": aggregator}
    errors: list[str] = []
    while not s.at_end():
        if s.accept("CONFIG"):
            d["config"] = s.string()
        elif s.accept("CREDENTIALS"):
            d["credentials"] = s.string()
        elif s.accept("BATCH_INTERVAL"):
            d["batch_interval"] = s.integer()
        elif s.accept("MAX_PARTITIONS_PER_BATCH"):
            d["max_partitions_per_batch"] = s.integer()
        elif s.accept("MAX_RETRIES_PER_BATCH_PARTITION"):
            d["max_retries_per_batch_partition"] = s.integer()
        elif s.accept("MAX_OFFSETS_PER_BATCH_PARTITION"):
            d["max_offsets_per_batch_partition"] = s.integer()
        elif s.accept("RESOURCE", "POOL"):
            d["resource_pool"] = s.ident()
        elif s.peek_words("ENABLE") or s.peek_words("DISABLE"):
            switch = "ENABLE" if s.accept("ENABLE") else (s.expect("DISABLE") or "DISABLE")
            if s.accept("OUT_OF_ORDER", "OPTIMIZATION"):
                d["out_of_order"] = switch
            elif s.accept("OFFSETS", "METADATA", "GC"):
                d["offsets_metadata_gc"] = switch
            else:
                _fail(s, "OUT_OF_ORDER OPTIMIZATION or OFFSETS METADATA GC")
        elif s.accept("STOP_ON_ERROR"):
            d["stop_on_error"] = "ON" if s.accept("ON") else ("OFF" if s.accept("OFF") else _fail(s, "ON or OFF"))
        elif s.accept("SKIP"):
            for kind in ("DUPLICATE KEY", "CONSTRAINT", "PARSER", "ALL"):
                if s.accept(*kind.split()):
                    s.expect("ERRORS")
                    errors.append(f"SKIP {kind} ERRORS")
                    break
            else:
                _fail(s, "DUPLICATE KEY, CONSTRAINT, PARSER or ALL")
        elif s.accept("IGNORE"):
            errors.append("IGNORE" + (" PARSER ERRORS" if s.accept("PARSER", "ERRORS") else ""))
        elif s.accept("REPLACE"):
            errors.append("REPLACE")
        elif s.accept("INTO"):
            if s.accept("TABLE"):
                d["target_kind"] = "TABLE"
            elif s.accept("PROCEDURE"):
                d["target_kind"] = "PROCEDURE"
            else:
                _fail(s, "TABLE or PROCEDURE")
            d["target"] = s.qualified()[1]
            _parse_load_tail(s, d)
            break
        else:
            _fail(s, "a pipeline clause")
    if not d.get("target"):
        raise PipelineSyntaxError("CREATE PIPELINE needs INTO TABLE or INTO PROCEDURE")
    d["error_handling"] = tuple(errors)
    return PipelineDef(**d), or_replace, if_not_exists


def _fail(s: _Scanner, wanted: str):
    raise PipelineSyntaxError(f"expected {wanted} near {s.rest()[:40]!r}")


def _parse_load_tail(s: _Scanner, d: dict) -> None:
    if s.accept("FORMAT", "JSON"):
        d["fmt"] = "JSON"
        if s.rest().lstrip().startswith("("):
            d["mapping"], d["qualified"] = _parse_mapping(s.balanced())
    else:
        s.accept("FORMAT", "CSV")
        d["fmt"] = "CSV"
        if s.accept("FIELDS") or s.accept("COLUMNS"):
            while True:
                if s.accept("TERMINATED", "BY"):
                    d["fields_terminated_by"] = s.string()
                elif s.accept("OPTIONALLY", "ENCLOSED", "BY") or s.accept("ENCLOSED", "BY"):
                    d["fields_enclosed_by"] = s.string()
                elif s.accept("ESCAPED", "BY"):
                    d["fields_escaped_by"] = s.string()
                else:
                    break
        if s.accept("LINES"):
            while True:
                if s.accept("TERMINATED", "BY"):
                    d["lines_terminated_by"] = s.string()
                elif s.accept("STARTING", "BY"):
                    d["lines_starting_by"] = s.string()
                else:
                    break
        if s.rest().lstrip().startswith("("):
            d["columns"], d["qualified"] = _parse_columns(s.balanced())
    while not s.at_end():
        if s.accept("SET"):
            d["set_clause"] = _normal_assignments(s.until_keywords("WHERE", "ON DUPLICATE KEY UPDATE"))
        elif s.accept("WHERE"):
            d["where_clause"] = s.until_keywords("ON DUPLICATE KEY UPDATE", "SET")
        elif s.accept("ON", "DUPLICATE", "KEY", "UPDATE"):
            d["on_duplicate_key_update"] = _normal_assignments(s.until_keywords("SET", "WHERE"))
        else:
            _fail(s, "SET, WHERE or ON DUPLICATE KEY UPDATE")


@dataclass(frozen=True)
class Statement:
    verb: str                 # CREATE ALTER START STOP DROP TEST DETACH SHOW_PIPELINES SHOW_CREATE
    name: str | None = None
    database: str | None = None
    definition: PipelineDef | None = None
    or_replace: bool = False
    if_clause: bool = False   # IF NOT EXISTS / IF NOT RUNNING / IF RUNNING / IF EXISTS
    limit: int | None = None
    foreground: bool = False
    detach: bool = False
    alter: tuple[tuple[str, object], ...] = ()
    extended: bool = False


PIPELINE_STATEMENT = re.compile(
    r"^\s*(CREATE\s+(OR\s+REPLACE\s+)?(AGGREGATOR\s+)?PIPELINE|ALTER\s+PIPELINE|START\s+PIPELINE|STOP\s+PIPELINE"
    r"|DROP\s+PIPELINE|TEST\s+PIPELINE|DETACH\s+PIPELINE|SHOW\s+PIPELINES|SHOW\s+CREATE\s+PIPELINE"
    r"|START\s+ALL\s+PIPELINES|STOP\s+ALL\s+PIPELINES)\b", re.IGNORECASE)


def is_pipeline_statement(sql: str) -> bool:
    return PIPELINE_STATEMENT.match(sql) is not None


def parse(sql: str) -> Statement:
    s = _Scanner(sql)
    if s.peek_words("CREATE"):
        definition, or_replace, if_not_exists = parse_create(sql)
        return Statement("CREATE", definition.name, definition.database, definition, or_replace, if_not_exists)
    if s.accept("SHOW", "PIPELINES"):
        return Statement("SHOW_PIPELINES")
    if s.accept("SHOW", "CREATE", "PIPELINE"):
        db, name = s.qualified()
        return Statement("SHOW_CREATE", name, db, extended=s.accept("EXTENDED"))
    if s.accept("START", "PIPELINE"):
        if_clause = s.accept("IF", "NOT", "RUNNING")
        db, name = s.qualified()
        foreground, limit = False, None
        if s.accept("FOREGROUND"):
            foreground = True
            if s.accept("LIMIT"):
                limit = s.integer()
                s.expect("BATCHES")
        return Statement("START", name, db, if_clause=if_clause, foreground=foreground, limit=limit)
    if s.accept("STOP", "PIPELINE"):
        if_clause = s.accept("IF", "RUNNING")
        db, name = s.qualified()
        return Statement("STOP", name, db, if_clause=if_clause, detach=s.accept("DETACH"))
    if s.accept("DETACH", "PIPELINE"):
        if_clause = s.accept("IF", "EXISTS")
        db, name = s.qualified()
        return Statement("STOP", name, db, if_clause=if_clause, detach=True)
    if s.accept("DROP", "PIPELINE"):
        if_clause = s.accept("IF", "EXISTS")
        db, name = s.qualified()
        return Statement("DROP", name, db, if_clause=if_clause)
    if s.accept("TEST", "PIPELINE"):
        db, name = s.qualified()
        limit = s.integer() if s.accept("LIMIT") else None
        return Statement("TEST", name, db, limit=limit)
    if s.accept("ALTER", "PIPELINE"):
        db, name = s.qualified()
        changes: list[tuple[str, object]] = []
        while not s.at_end():
            if s.accept("SET", "OFFSETS"):
                if s.accept("EARLIEST"):
                    changes.append(("offsets", "EARLIEST"))
                elif s.accept("LATEST"):
                    changes.append(("offsets", "LATEST"))
                else:
                    try:
                        changes.append(("offsets", {int(k): int(v) for k, v in json.loads(s.string()).items()}))
                    except (ValueError, AttributeError) as exc:
                        raise PipelineSyntaxError(f"SET OFFSETS needs EARLIEST, LATEST or a JSON object: {exc}") from exc
            elif s.accept("SET", "BATCH_INTERVAL"):
                changes.append(("batch_interval", s.integer()))
            elif s.accept("SET", "MAX_PARTITIONS_PER_BATCH"):
                changes.append(("max_partitions_per_batch", s.integer()))
            elif s.accept("SET", "MAX_OFFSETS_PER_BATCH_PARTITION"):
                changes.append(("max_offsets_per_batch_partition", s.integer()))
            elif s.accept("SET", "MAX_RETRIES_PER_BATCH_PARTITION"):
                changes.append(("max_retries_per_batch_partition", s.integer()))
            elif s.accept("SET", "CONFIG"):
                changes.append(("config", s.string()))
            elif s.accept("SET", "CREDENTIALS"):
                changes.append(("credentials", s.string()))
            elif s.accept("SET", "RESOURCE", "POOL"):
                changes.append(("resource_pool", s.ident()))
            elif s.peek_words("ENABLE") or s.peek_words("DISABLE"):
                switch = "ENABLE" if s.accept("ENABLE") else (s.expect("DISABLE") or "DISABLE")
                if s.accept("OUT_OF_ORDER", "OPTIMIZATION"):
                    changes.append(("out_of_order", switch))
                elif s.accept("OFFSETS", "METADATA", "GC"):
                    changes.append(("offsets_metadata_gc", switch))
                else:
                    _fail(s, "OUT_OF_ORDER OPTIMIZATION or OFFSETS METADATA GC")
            elif s.accept("STOP_ON_ERROR"):
                value = "ON" if s.accept("ON") else "OFF" if s.accept("OFF") else None if s.accept("NONE") else _fail(s, "ON, OFF or NONE")
                changes.append(("stop_on_error", value))
            else:
                _fail(s, "an ALTER PIPELINE clause")
        if not changes:
            raise PipelineSyntaxError("ALTER PIPELINE needs at least one change")
        return Statement("ALTER", name, db, alter=tuple(changes))
    raise PipelineSyntaxError(f"unsupported pipeline statement near {sql.strip()[:40]!r}")


def apply_alter(definition: PipelineDef, changes: dict) -> PipelineDef:
    return replace(definition, **{k: v for k, v in changes.items() if k != "offsets"})


def as_created(d: PipelineDef) -> PipelineDef:
    """The definition as a current server keeps a new pipeline: printed in the qualified form, with the clauses
    SHOW CREATE PIPELINE prints for their default values (corpus: show_create_pipeline/json_mapping_qualified.yml)."""
    return replace(d, qualified=True, out_of_order=d.out_of_order or "DISABLE", offsets_metadata_gc=d.offsets_metadata_gc or "DISABLE")


CREDENTIALS_HIDDEN = "<CREDENTIALS REDACTED>"  # the form is not published (corpus: credentials_hidden.yml, constructed)
INDENT = "    "


def _path(path: str) -> str:
    return "::".join(quote_ident(p) if p != "%" else p for p in path.split("::"))


def render(d: PipelineDef, with_credentials: bool = False) -> str:
    """The CREATE PIPELINE text SHOW CREATE PIPELINE prints (one clause per line), in the form of ``d.qualified``.

    Credentials are rendered only when asked for: SHOW CREATE PIPELINE hides them from users without SUPER
    (https://docs.singlestore.com/db/v9.1/reference/sql-reference/show-commands/show-create-pipeline/, 9.1).
    """
    lines = [f"CREATE {'AGGREGATOR ' if d.aggregator else ''}PIPELINE {quote_ident(d.name)}",
             f"AS LOAD DATA KAFKA {sql_string(d.connection_string)}"]
    if d.config:
        lines.append(f"CONFIG {sql_string(d.config)}")
    if d.credentials:
        lines.append(f"CREDENTIALS {sql_string(d.credentials) if with_credentials else sql_string(CREDENTIALS_HIDDEN)}")
    for attr in ("batch_interval", "max_partitions_per_batch", "max_retries_per_batch_partition",
                 "max_offsets_per_batch_partition"):
        if getattr(d, attr) is not None:
            lines.append(f"{attr.upper()} {getattr(d, attr)}")
    if d.resource_pool:
        lines.append(f"RESOURCE POOL {quote_ident(d.resource_pool)}")
    if d.out_of_order:
        lines.append(f"{d.out_of_order} OUT_OF_ORDER OPTIMIZATION")
    if d.offsets_metadata_gc:
        lines.append(f"{d.offsets_metadata_gc} OFFSETS METADATA GC")
    lines.extend(d.error_handling)
    if d.stop_on_error:
        lines.append(f"STOP_ON_ERROR {d.stop_on_error}")
    lines.append(f"INTO {d.target_kind} {quote_ident(d.target)}")
    qualifier = quote_ident(d.target) + "." if d.qualified else ""

    def target(name: str) -> str:
        return name if name.startswith("@") else qualifier + quote_ident(name)

    def listed(items: list[str], compact: str) -> str:
        return ("(\n" + ",\n".join(INDENT + i for i in items) + "\n)") if d.qualified else "(" + compact.join(items) + ")"

    if d.fmt == "JSON":
        lines.append("FORMAT JSON")
        if d.mapping:
            default = " DEFAULT   " if d.qualified else " DEFAULT "
            lines.append(listed([f"{target(m.target)} <- {_path(m.path)}" + (default + m.default if m.default is not None else "")
                                 for m in d.mapping], ",\n"))
    else:
        lines.append(f"FIELDS TERMINATED BY {sql_string(d.fields_terminated_by)} ENCLOSED BY "
                     f"{sql_string(d.fields_enclosed_by)} ESCAPED BY {sql_string(d.fields_escaped_by)}")
        lines.append(f"LINES TERMINATED BY {sql_string(d.lines_terminated_by)} STARTING BY {sql_string(d.lines_starting_by)}")
        if d.columns:
            lines.append(listed([target(c) for c in d.columns], ","))
    for keyword, clause in (("SET", d.set_clause), ("WHERE", d.where_clause), ("ON DUPLICATE KEY UPDATE", d.on_duplicate_key_update)):
        if not clause:
            continue
        if keyword == "WHERE" or not d.qualified:
            lines.append(f"{keyword} {clause}")
        else:  # SET (and, by analogy, ON DUPLICATE KEY UPDATE) on a line of its own, one assignment per indented line
            pairs = [f"{c if c.startswith('@') else quote_ident(c)} = {e}" for c, e in assignments(clause)]
            lines.append(keyword + "\n" + ",\n".join(INDENT + pair for pair in pairs))
    return "\n".join(lines)
