# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The table kind: ``read_table()`` (also used by singlestore_info) and the ``Table`` object:
read -> plan (create / alter / rebuild / drop) -> apply.

The desired table (from the task's options or a CREATE TABLE text) is built in ``_table_spec.py``, SQL
text is rendered and parsed in ``_table_sql.py``, column types are compared in ``_table_coltypes.py``.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from ansible_collections.transactions_st.realtime.plugins.module_utils._base import (
    DatabaseObject,
    ModuleError,
    Statement,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._quoting import (
    quote_column_list,
    quote_identifier,
    quote_qualified,
    validate_identifier,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._table_coltypes import normalise_server_default
from ansible_collections.transactions_st.realtime.plugins.module_utils._table_spec import (
    SpecError,
    check_key_columns,
    refused_alters,
    spec_from_definition,
    spec_from_options,
)
from ansible_collections.transactions_st.realtime.plugins.module_utils._table_sql import (
    column_differences,
    column_sql,
    create_sql,
    key_sql,
    singlestore_keys,
)


def show_create_text(conn: Any, database: str, name: str) -> str | None:
    """The ``Create Table`` text of SHOW CREATE TABLE, or None when the server returned none."""
    rows = conn.query(f"SHOW CREATE TABLE {quote_qualified(database, name)}", ())
    if not rows:
        return None
    row = rows[0]
    value = row.get("Create Table") if "Create Table" in row else list(row.values())[-1]
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value) if value is not None else None


def read_table(conn: Any, database: str, name: str) -> dict[str, Any] | None:
    """The table as the catalog reports it, or None.

    On SingleStore the shard key, sort key and storage kind come from SHOW CREATE TABLE (its documented
    printed forms, ``_table_sql``), checked against ``information_schema.STATISTICS``/``TABLES``. A fact
    neither source states, or on which they disagree, is not guessed: it is left ``None`` and named in
    ``state['unreadable']`` (fact -> why), and the plan refuses to act on it.
    """
    tables = [
        row
        for row in conn.query(
            "SELECT * FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s", (database, name)
        )
        if row.get("TABLE_NAME") == name
    ]
    if not tables:
        return None
    columns = []
    for row in conn.query(
        "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, ORDINAL_POSITION "
        "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION",
        (database, name),
    ):
        ctype = row["COLUMN_TYPE"].decode() if isinstance(row["COLUMN_TYPE"], bytes) else str(row["COLUMN_TYPE"])
        columns.append(
            dict(
                name=row["COLUMN_NAME"],
                type=ctype,
                nullable=str(row["IS_NULLABLE"]).upper() == "YES",
                default=normalise_server_default(row["COLUMN_DEFAULT"]),
            )
        )
    indexes: dict[str, dict[str, Any]] = {}
    for row in conn.query(
        "SELECT INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, INDEX_TYPE FROM information_schema.STATISTICS "
        "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s ORDER BY INDEX_NAME, SEQ_IN_INDEX",
        (database, name),
    ):
        entry = indexes.setdefault(
            row["INDEX_NAME"],
            dict(
                columns=[],
                unique=str(row["NON_UNIQUE"]) in ("0", "False"),
                type=str(row.get("INDEX_TYPE") or "").upper(),
            ),
        )
        if row["COLUMN_NAME"]:
            entry["columns"].append(row["COLUMN_NAME"])
    state: dict[str, Any] = dict(
        database=database,
        name=name,
        columns=columns,
        primary_key=[],
        keys=[],
        shard_key=None,
        sort_key=None,
        storage=None,
        rows=tables[0].get("TABLE_ROWS"),
    )
    if not conn.is_singlestore:
        for index_name, entry in sorted(indexes.items()):
            if index_name == "PRIMARY":
                state["primary_key"] = entry["columns"]
            else:
                state["keys"].append(dict(name=index_name, columns=entry["columns"], unique=entry["unique"]))
        return state
    return singlestore_keys(state, indexes, tables[0], show_create_text(conn, database, name))


def list_backups(conn: Any, database: str, name: str) -> list[str]:
    pattern = name.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%") + "\\_\\_backup\\_%"
    rows = conn.query(
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s AND TABLE_NAME LIKE %s",
        (database, pattern),
    )
    rx = re.compile("^" + re.escape(name) + r"__backup_\d{14}$")
    return sorted(row["TABLE_NAME"] for row in rows if rx.match(row["TABLE_NAME"]))


SINGLESTORE_ONLY = ("shard_key", "sort_key", "storage")
STRUCTURAL = ("primary_key", "shard_key", "sort_key", "storage")


class Table(DatabaseObject):
    """A table: exists / info / create / alter / rebuild / drop."""

    result_key = "table"
    kind = "table"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.target = quote_qualified(self.database, self.name)
        self.stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d%H%M%S")
        self.spec: dict[str, Any] | None = None
        self.rebuilding = False
        self.before_rowstore = False

    def read(self) -> dict[str, Any] | None:
        state = read_table(self.conn, self.database, self.name)
        if state is not None:
            state.pop("rows", None)
            self.before_rowstore = bool(state.pop("_rowstore", False))
            state["backups"] = list_backups(self.conn, self.database, self.name)
        return state

    def desired(self) -> dict[str, Any]:
        try:
            spec = (
                spec_from_definition(self.params["definition"])
                if self.params["definition"]
                else spec_from_options(self.params)
            )
            for col in spec["columns"]:
                validate_identifier(col["name"], "column name")
            check_key_columns(spec)
        except SpecError as exc:
            raise ModuleError(f"table {self.database}.{self.name}: {exc} (nothing was changed)") from None
        if not self.conn.is_singlestore:
            asked = [opt for opt in SINGLESTORE_ONLY if spec.get(opt) is not None]
            if asked:
                raise ModuleError(
                    f"{', '.join(asked)} {'is a' if len(asked) == 1 else 'are'} SingleStore-only option(s); "
                    f"the server is {self.conn.label} (table {self.database}.{self.name} was not changed)"
                )
        return spec

    def plan(self, before: dict[str, Any] | None) -> list[Statement]:
        drop_backup = self.params["drop_backup"]
        if self.params["state"] == "absent":
            if before is None:
                return []
            plan = [Statement(f"DROP TABLE {self.target}")]
            if drop_backup:
                plan += [Statement(f"DROP TABLE {quote_qualified(self.database, b)}") for b in before["backups"]]
            return plan
        if not self.conn.schema_exists(self.database):
            if not self.module.check_mode:
                raise ModuleError(f"database {self.database!r} does not exist; create it first (singlestore_database)")
            # Check mode of a whole play: the database is only predicted by an earlier task.
            self.module.warn(
                f"database {self.database!r} does not exist yet: check mode predicts the table's creation, "
                "a real run needs the database first"
            )
        self.spec = spec = self.desired()
        if before is None:
            sql, params = create_sql(spec, self.database, self.name, self.conn.is_singlestore)
            return [Statement(sql, tuple(params))]
        drop_backups = (
            [Statement(f"DROP TABLE {quote_qualified(self.database, b)}") for b in before["backups"]]
            if drop_backup
            else []
        )
        self.refuse_unreadable(spec, before)
        structural = self.structural_drift(spec, before)
        current_cols = {col["name"]: col for col in before["columns"]}
        drifted = {
            col["name"]: column_differences(col, current_cols[col["name"]])
            for col in spec["columns"]
            if col["name"] in current_cols
        }
        drifted = {name: diffs for name, diffs in drifted.items() if diffs}
        current_keys = {key["name"]: key for key in before["keys"]}
        changed_keys = [
            key
            for key in spec["keys"]
            if key["name"] in current_keys
            and (
                current_keys[key["name"]]["columns"] != key["columns"]
                or current_keys[key["name"]]["unique"] != key["unique"]
            )
        ]
        if structural or ((drifted or changed_keys) and not self.params["allow_alter"] and self.params["rebuild"]):
            if not self.params["rebuild"]:
                raise ModuleError(
                    f"table {self.database}.{self.name} cannot be changed in place: "
                    + "; ".join(structural)
                    + ". Set rebuild=true to copy it into a new table (the old one is kept as a backup).",
                    drift=structural,
                )
            return self.rebuild_plan(spec, before, drop_backup) + drop_backups
        if drifted and not self.params["allow_alter"]:
            detail = "; ".join(f"column {name!r}: {', '.join(diffs)}" for name, diffs in sorted(drifted.items()))
            raise ModuleError(
                f"table {self.database}.{self.name} differs from the task: {detail}. "
                "Set allow_alter=true to modify the columns in place (or rebuild=true)."
            )
        if changed_keys and not self.params["allow_alter"]:
            names = ", ".join(key["name"] for key in changed_keys)
            raise ModuleError(
                f"table {self.database}.{self.name}: key(s) {names} differ from the task; "
                "set allow_alter=true to recreate them"
            )
        refused = refused_alters(spec, before, changed_keys, self.before_rowstore) if self.conn.is_singlestore else []
        final = [msg for msg, rebuild_helps in refused if not rebuild_helps]
        if final:
            raise ModuleError(
                f"table {self.database}.{self.name}: SingleStore refuses "
                + "; ".join(final)
                + ". Nothing was changed: change the key in the task.",
                refused=final,
            )
        if refused:
            if self.params["rebuild"]:
                return self.rebuild_plan(spec, before, drop_backup) + drop_backups
            messages = [msg for msg, _rebuild_helps in refused]
            raise ModuleError(
                f"table {self.database}.{self.name} cannot be changed in place: "
                + "; ".join(messages)
                + ". Nothing was changed. Set rebuild=true to create the table anew with the change "
                "(rows copied, the old table kept as a backup).",
                refused=messages,
            )
        specs, params = self.alter_specs(spec, before, drifted, changed_keys)
        plan = [Statement(f"ALTER TABLE {self.target} " + ", ".join(specs), tuple(params))] if specs else []
        return plan + drop_backups

    def wanted(self, spec: dict[str, Any], option: str) -> Any:
        """What the task asks for ``option`` (None: not managed)."""
        wanted = spec.get(option)
        if option == "storage" and wanted is None and spec.get("definition") and self.conn.is_singlestore:
            wanted = "columnstore"  # a plain CREATE TABLE is a columnstore table on SingleStore >= 7.3
        return wanted

    def structural_drift(self, spec: dict[str, Any], before: dict[str, Any]) -> list[str]:
        out = []
        unreadable = before.get("unreadable") or {}
        for option in STRUCTURAL:
            wanted, current = self.wanted(spec, option), before.get(option)
            if option in unreadable:
                continue  # refuse_unreadable() has failed the task if the task manages it
            if wanted is not None and wanted != current:
                out.append(f"{option} is {current!r} on the server but the task asks for {wanted!r}")
        return out

    def refuse_unreadable(self, spec: dict[str, Any], before: dict[str, Any], rebuild: bool = False) -> None:
        """Fail, changing nothing, when the task manages a key the module cannot read back.

        A rebuild (or a "no change") decided on a key that was not read would be a guess: the table would be
        copied on every run, or a different key kept. So the task fails and says what was seen.
        """
        unreadable = before.get("unreadable") or {}
        managed = [(option, self.wanted(spec, option)) for option in STRUCTURAL if option in unreadable]
        managed = [(option, wanted) for option, wanted in managed if wanted is not None]
        parts = [
            f"its {option} cannot be read back ({unreadable[option]}) and the task asks for {option}={wanted!r}"
            for option, wanted in managed
        ]
        if rebuild:
            # a rebuild copies the keys the task does not name from the server: they must have been read
            parts += [
                f"a rebuild would have to copy its {option}, which cannot be read back ({unreadable[option]})"
                for option in STRUCTURAL
                if option in unreadable and spec.get(option) is None and not spec.get("definition")
            ]
        if not parts:
            return
        raise ModuleError(
            f"table {self.database}.{self.name}: "
            + "; ".join(parts)
            + f". Nothing was changed (no ALTER, no rebuild). Compare SHOW CREATE TABLE {self.target} with the task "
            "by hand, then leave the option out of the task or rebuild the table yourself.",
            unreadable=unreadable,
        )

    def alter_specs(
        self,
        spec: dict[str, Any],
        before: dict[str, Any],
        drifted: dict[str, list[str]],
        changed_keys: list[dict[str, Any]],
    ) -> tuple[list[str], list[Any]]:
        params: list[Any] = []
        specs = []
        current_cols = {col["name"] for col in before["columns"]}
        for col in spec["columns"]:
            if col["name"] in drifted:
                specs.append("MODIFY COLUMN " + column_sql(col, params))
            elif col["name"] not in current_cols:
                specs.append("ADD COLUMN " + column_sql(col, params))
        hash_keys = self.conn.is_singlestore and before.get("storage") != "rowstore"
        current_keys = {key["name"] for key in before["keys"]}
        for key in changed_keys:
            specs.append(f"DROP KEY {quote_identifier(key['name'], 'key name')}")
            specs.append("ADD " + key_sql(key, hash_keys))
        for key in spec["keys"]:
            if key["name"] not in current_keys:
                specs.append("ADD " + key_sql(key, hash_keys))
        return specs, params

    def rebuild_plan(self, spec: dict[str, Any], before: dict[str, Any], drop_backup: bool) -> list[Statement]:
        self.rebuilding = True
        self.refuse_unreadable(spec, before, rebuild=True)
        temp = f"{self.name}__rebuild"
        backup = f"{self.name}__backup_{self.stamp}"
        for label, ident in (("rebuild table", temp), ("backup table", backup)):
            validate_identifier(ident, f"{label} name (from table {self.name!r})")
        wanted_names = [col["name"] for col in spec["columns"]]
        if not spec.get("definition"):
            # keep what the task does not mention: columns (no data is lost), keys, and unmanaged key options
            extra = [dict(col) for col in before["columns"] if col["name"] not in wanted_names]
            spec = dict(spec, columns=spec["columns"] + extra)
            wanted_names += [col["name"] for col in extra]
            named = {key["name"] for key in spec["keys"]}
            spec["keys"] = spec["keys"] + [dict(key) for key in before["keys"] if key["name"] not in named]
            for option in STRUCTURAL:
                if spec.get(option) is None and before.get(option) is not None:
                    spec[option] = before[option]
        common = [col["name"] for col in before["columns"] if col["name"] in wanted_names]
        sql, params = create_sql(spec, self.database, temp, self.conn.is_singlestore)
        cols = quote_column_list(common)
        plan = [
            Statement(f"DROP TABLE IF EXISTS {quote_qualified(self.database, temp)}"),
            Statement(sql, tuple(params)),
            Statement(
                f"INSERT INTO {quote_qualified(self.database, temp)} {cols} SELECT {cols[1:-1]} FROM {self.target}"
            ),
        ]
        if self.conn.is_singlestore:
            # RENAME TO takes a bare name, resolved in the current database
            plan += [
                Statement(f"USE {quote_identifier(self.database)}"),
                Statement(f"ALTER TABLE {self.target} RENAME TO {quote_identifier(backup)}"),
                Statement(
                    f"ALTER TABLE {quote_qualified(self.database, temp)} RENAME TO {quote_identifier(self.name)}"
                ),
            ]
        else:
            plan.append(
                Statement(
                    f"RENAME TABLE {self.target} TO {quote_qualified(self.database, backup)}, "
                    f"{quote_qualified(self.database, temp)} TO {self.target}"
                )
            )
        if drop_backup:
            plan.append(Statement(f"DROP TABLE {quote_qualified(self.database, backup)}"))
        return plan

    def predict(self, before: dict[str, Any] | None) -> dict[str, Any] | None:
        if self.params["state"] == "absent" or self.spec is None:
            return None
        spec = self.spec
        after = dict(
            before
            or dict(
                database=self.database,
                name=self.name,
                columns=[],
                primary_key=[],
                keys=[],
                shard_key=None,
                sort_key=None,
                storage=None,
                backups=[],
            )
        )
        by_name = {col["name"]: dict(col) for col in after["columns"]}
        for col in spec["columns"]:
            by_name[col["name"]] = dict(
                name=col["name"], type=col["type"], nullable=col["nullable"], default=col.get("default")
            )
        existing = [col["name"] for col in after["columns"]]
        order = existing + [col["name"] for col in spec["columns"] if col["name"] not in existing]
        after["columns"] = [by_name[name] for name in order]
        keys = {key["name"]: key for key in after["keys"]}
        keys.update({key["name"]: dict(key) for key in spec["keys"]})
        after["keys"] = [keys[name] for name in sorted(keys)]
        for option in STRUCTURAL:
            if spec.get(option) is not None:
                after[option] = spec[option]
        backups = list(after.get("backups") or [])
        if before is not None and self.rebuilding and not self.params["drop_backup"]:
            backups.append(f"{self.name}__backup_{self.stamp}")
        after["backups"] = [] if self.params["drop_backup"] else backups
        return after
