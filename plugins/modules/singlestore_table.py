#!/usr/bin/python
# Copyright: transactions_st maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: singlestore_table
short_description: Create, extend, rebuild or drop a SingleStore (or MySQL/MariaDB) table
version_added: 0.1.0
description:
  - Reads the table from C(information_schema.COLUMNS), C(STATISTICS) and C(TABLES), and on SingleStore from
    C(SHOW CREATE TABLE), compares it with O(columns) and the keys (or with a O(definition)), plans the statements and
    runs them unless in check mode.
  - On SingleStore the storage type, shard key and sort key are read from the C(SHOW CREATE TABLE) text in every printed
    form found in SingleStore's documentation and published DDL (the C(SHARD KEY) clause, named C(__SHARDKEY) or not, the
    keyless line (an empty C(SHARD KEY) after a comma), C(SORT KEY), the legacy C(KEY ... USING CLUSTERED COLUMNSTORE), a columnstore primary
    key printed as a unique hash key named C(PRIMARY)), and checked against C(STATISTICS) (C(INDEX_TYPE) C(SHARD) and
    C(CLUSTERED COLUMNSTORE), or the C(__SHARDKEY) key name) and C(TABLES.STORAGE_TYPE).
  - A key or storage type that neither source states, or on which they disagree, is reported in RV(table.unreadable) and
    never guessed. A task that manages it (O(shard_key), O(sort_key), O(storage), O(primary_key)), or a rebuild that would
    have to copy it, fails naming what was seen, and nothing is altered or rebuilt.
  - On SingleStore the plan refuses, before any statement runs, the key changes SingleStore refuses in C(ALTER TABLE) --
    a unique key added to (or changed on) an existing columnstore table, a unique key or primary key without every
    shard-key column, a columnstore key of more than 32 columns. The message names the key and the rule's page; with
    O(rebuild=true) the table is rebuilt with the change instead.
  - "Checked against public sources: the C(SHOW CREATE TABLE) examples of the SingleStore 9.1 and Helios (cloud) documentation,
    C(CREATE TABLE) DDL in the printed form published in SingleStore's C(singlestore-labs/spaces-notebooks), the SHOW INDEX,
    CREATE INDEX, Distributed SQL Surface Area and unique-key pages (cloud, 9.1); see C(docs/singlestore-conformance.md).
    Not checked: how a non-empty rowstore shard key is printed (not published; read from any C(SHARD KEY) clause or
    C(STATISTICS)), the error codes of the refusals, SingleStore's rules for C(MODIFY COLUMN) on columnstore tables."
  - Missing columns and keys are added with one C(ALTER TABLE). Columns present on the server but not in the task are left alone.
  - A column whose type (compared after normalisation, so C(int) equals V(int(11\))), nullability or default differs
    makes the task fail unless O(allow_alter=true), which modifies it with C(MODIFY COLUMN).
  - SingleStore cannot change a table's shard key, sort key or storage type in place. A difference (or a different primary key)
    fails naming both values, unless O(rebuild=true).
  - O(rebuild=true) creates C(<name>__rebuild) with the new definition, copies every row with
    C(INSERT INTO ... SELECT) by column name, then swaps the names. The old table stays as
    C(<name>__backup_<YYYYmmddHHMMSS>) until a task runs with O(drop_backup=true).
    On MySQL/MariaDB the swap is one atomic C(RENAME TABLE a TO b, c TO d). SingleStore has no multi-table
    RENAME, so there the swap is two C(ALTER TABLE ... RENAME TO) statements, and for a moment the table name does not exist.
    Stop pipelines loading the table first.
author:
  - transactions_st maintainers (@transactions-st)
options:
  database:
    description: Database holding the table. It must exist.
    type: str
    required: true
    aliases: [db]
  name:
    description: Name of the table.
    type: str
    required: true
  state:
    description: V(present) creates or extends the table; V(absent) drops it.
    type: str
    choices: [present, absent]
    default: present
  columns:
    description:
      - Columns, in order. Mutually exclusive with O(definition).
    type: list
    elements: dict
    suboptions:
      name:
        description: Column name.
        type: str
        required: true
      type:
        description:
          - SQL type, for example C(BIGINT), V(VARCHAR(64\)), V(DECIMAL(12,2\)), V(DATETIME(6\)), C(JSON), V(ENUM('a','b'\)).
          - Checked against an allow-list of type shapes; anything else is refused before any statement runs.
        type: str
        required: true
      nullable:
        description: Whether the column accepts NULL.
        type: bool
        default: true
      default:
        description:
          - Default value, sent as a driver parameter. C(CURRENT_TIMESTAMP), V(CURRENT_TIMESTAMP(6\)) and V(NOW(\)) are written as expressions.
          - Unset means no default.
        type: raw
  primary_key:
    description: Primary key columns. Unset means "not managed"; compared with the server when set.
    type: list
    elements: str
  shard_key:
    description:
      - SingleStore shard key columns; V([]) means keyless (an empty C(SHARD KEY)). Unset means the server's default
        (the primary key). An error on MySQL/MariaDB.
    type: list
    elements: str
  sort_key:
    description: SingleStore columnstore sort key columns (C(SORT KEY)). An error on MySQL/MariaDB.
    type: list
    elements: str
  keys:
    description: Secondary keys. On SingleStore columnstore tables they are created C(USING HASH).
    type: list
    elements: dict
    suboptions:
      name:
        description: Key name.
        type: str
        required: true
      columns:
        description: Key columns.
        type: list
        elements: str
        required: true
      unique:
        description: Whether the key is unique.
        type: bool
        default: false
  storage:
    description:
      - SingleStore table type. Unset means the server's default (columnstore since SingleStore 7.3). An error on MySQL/MariaDB.
    type: str
    choices: [columnstore, rowstore, reference]
  definition:
    description:
      - A complete C(CREATE [ROWSTORE] [REFERENCE] TABLE <any name> ...) statement with its column list statement, for example rendered from
        C(templates/sql/) with the C(ansible.builtin.template) lookup. The module runs it under O(database).O(name)
        and compares its columns and keys with the server the same way as for O(columns).
      - Mutually exclusive with O(columns), O(primary_key), O(shard_key), O(sort_key), O(keys), O(storage).
    type: str
  allow_alter:
    description: Change drifted columns (type, nullability, default) and keys in place with C(ALTER TABLE ... MODIFY COLUMN).
    type: bool
    default: false
  rebuild:
    description: Rebuild the table (copy, swap, keep a backup) when a change cannot be made in place.
    type: bool
    default: false
  drop_backup:
    description: Drop the C(<name>__backup_<timestamp>) tables left by earlier rebuilds (and by a rebuild in this task).
    type: bool
    default: false
extends_documentation_fragment:
  - transactions_st.realtime.connection.singlestore
  - transactions_st.realtime.attributes
  - transactions_st.realtime.action_group.singlestore
attributes:
  check_mode:
    support: full
    details:
      - Nothing is executed in check mode; the statements that would run, including a rebuild, are returned in RV(queries).
  diff_mode:
    support: full
    details:
      - Returns the table's columns and keys before and after (predicted after in check mode, with the types as written in the task).
  idempotent:
    support: full
    details:
      - Types are compared after normalisation. A rebuild is not repeated once the keys match.
seealso:
  - module: transactions_st.realtime.singlestore_database
  - module: transactions_st.realtime.singlestore_info
  - name: CREATE TABLE (SingleStore)
    description: Storage types, shard keys and sort keys.
    link: https://docs.singlestore.com/cloud/reference/sql-reference/data-definition-language-ddl/create-table/
"""

EXAMPLES = r"""
- name: Transactions table, sharded by store, sorted by time
  transactions_st.realtime.singlestore_table:
    database: retail
    name: transactions
    columns:
      - {name: id, type: BIGINT, nullable: false}
      - {name: store_id, type: INT, nullable: false}
      - {name: amount, type: "DECIMAL(12,2)", nullable: false, default: 0}
      - {name: created_at, type: "DATETIME(6)", nullable: false, default: "CURRENT_TIMESTAMP(6)"}
    primary_key: [store_id, id]
    shard_key: [store_id]
    sort_key: [created_at]

- name: Same table from a SQL template shipped with the collection
  transactions_st.realtime.singlestore_table:
    database: retail
    name: transactions
    definition: "{{ lookup('ansible.builtin.template', 'templates/sql/transactions.sql.j2') }}"

- name: Change the shard key, keeping the old table as a backup
  transactions_st.realtime.singlestore_table:
    database: retail
    name: transactions
    definition: "{{ lookup('ansible.builtin.template', 'templates/sql/transactions.sql.j2') }}"
    rebuild: true
"""

RETURN = r"""
queries:
  description: Statements planned (and executed unless in check mode). Default values appear escaped.
  returned: always
  type: list
  elements: str
  sample: ["ALTER TABLE `retail`.`transactions` ADD COLUMN `note` varchar(200) NULL"]
table:
  description: The table after the task (predicted in check mode).
  returned: always
  type: dict
  contains:
    exists:
      description: Whether the table exists.
      type: bool
    columns:
      description: Columns with C(name), C(type) as the server reports it, C(nullable) and C(default).
      type: list
      elements: dict
    primary_key:
      description: Primary key columns.
      type: list
      elements: str
    shard_key:
      description: Shard key columns (SingleStore; null elsewhere).
      type: list
      elements: str
    sort_key:
      description: Sort key columns (SingleStore; null elsewhere).
      type: list
      elements: str
    keys:
      description: Secondary keys with C(name), C(columns) and C(unique).
      type: list
      elements: dict
    storage:
      description: V(columnstore), V(rowstore) or V(reference) (SingleStore; null elsewhere).
      type: str
    unreadable:
      description:
        - Only when something could not be read back on SingleStore, fact (V(storage), V(shard_key), V(sort_key),
          V(primary_key), V(show_create_table)) -> what was seen. The fact itself is null.
      type: dict
      returned: when a fact could not be read
    backups:
      description: Backup tables left by rebuilds.
      type: list
      elements: str
diff:
  description: Before and after state, with O(ignore:--diff).
  returned: when diff mode is on
  type: dict
"""

from typing import Any

from ansible_collections.transactions_st.realtime.plugins.module_utils._base import SingleStoreModule
from ansible_collections.transactions_st.realtime.plugins.module_utils._table import Table


def argument_spec() -> dict[str, Any]:
    """The module's own options (SingleStoreModule adds the connection options)."""
    return dict(
        database=dict(type="str", required=True, aliases=["db"]),
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        columns=dict(
            type="list",
            elements="dict",
            options=dict(
                name=dict(type="str", required=True),
                type=dict(type="str", required=True),
                nullable=dict(type="bool", default=True),
                default=dict(type="raw"),
            ),
        ),
        primary_key=dict(type="list", elements="str", no_log=False),
        shard_key=dict(type="list", elements="str", no_log=False),
        sort_key=dict(type="list", elements="str", no_log=False),
        keys=dict(
            type="list",
            elements="dict",
            no_log=False,
            options=dict(
                name=dict(type="str", required=True),
                columns=dict(type="list", elements="str", required=True),
                unique=dict(type="bool", default=False),
            ),
        ),
        storage=dict(type="str", choices=["columnstore", "rowstore", "reference"]),
        definition=dict(type="str"),
        allow_alter=dict(type="bool", default=False),
        rebuild=dict(type="bool", default=False),
        drop_backup=dict(type="bool", default=False),
    )


def main() -> None:
    module = SingleStoreModule(
        argument_spec(),
        mutually_exclusive=[
            ("definition", "columns"),
            ("definition", "primary_key"),
            ("definition", "shard_key"),
            ("definition", "sort_key"),
            ("definition", "keys"),
            ("definition", "storage"),
        ],
    )
    module.run_object(Table)


if __name__ == "__main__":
    main()
