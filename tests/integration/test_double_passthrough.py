"""The SingleStore test double (tests/lab/double) forwards to MariaDB without changing the answers.

The same statements go to MariaDB directly and through the double, each time against a freshly
created database of the same name; results, column descriptions, affected-row counts, insert ids,
warning counts, OK-packet info and error codes/messages must be identical. Then what the double
adds itself: SingleStore's variables, SET time_zone, log-in with MariaDB accounts.
"""

from __future__ import annotations

import uuid

import pymysql
import pytest
from pymysql.constants import CLIENT, SERVER_STATUS

DB = f"dbl_pt_{uuid.uuid4().hex[:10]}"
USER = f"dbl_u{uuid.uuid4().hex[:8]}"
USER_PW = "Pw-" + uuid.uuid4().hex[:12]

SCRIPT = [
    "CREATE TABLE items (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(32) NOT NULL, "
    "qty INT, price DECIMAL(10,2), created DATETIME(6), flag TINYINT(1), blob_col VARBINARY(8), "
    "UNIQUE KEY uq_name (id, name))",
    "INSERT INTO items (name, qty, price, created, flag, blob_col) "
    "VALUES ('a', 1, 1.50, '2024-01-01 00:00:00.123456', 1, X'00FF'), ('b', 2, NULL, NULL, 0, NULL)",
    "INSERT INTO items (name, qty, price) VALUES ('c', 3, 2.999)",          # a Note: data truncated
    "SHOW WARNINGS",
    "SELECT id, name, qty, price, created, flag, blob_col FROM items ORDER BY id",
    "SELECT * FROM items WHERE id = 2",
    "UPDATE items SET qty = qty + 1 WHERE id <= 2",
    "UPDATE items SET qty = qty WHERE id = 1",                                # matched 1, changed 0
    "INSERT INTO items (id, name, qty) VALUES (1, 'a', 5) ON DUPLICATE KEY UPDATE qty = VALUES(qty)",
    "SELECT * FROM nosuch_table",                                             # 1146
    "SELEC 1",                                                                # 1064
    "INSERT INTO items (id, name) VALUES (1, 'a')",                           # 1062
    "INSERT INTO items (name, qty) VALUES (NULL, 1)",                         # 1048
    "SELECT nosuch_column FROM items",                                        # 1054
    "SELECT COUNT(*), SUM(qty), MAX(price), AVG(qty), GROUP_CONCAT(name ORDER BY id) FROM items",
    "SELECT 'x' AS a, NULL AS b, 1.5e0 AS c, CAST('2024-01-01' AS DATE) AS d, X'00FF' AS e, "
    "CAST('10:11:12' AS TIME) AS f, 12345678901234 AS g, _utf8mb4'\u00e9t\u00e9' AS h",
    "SELECT LAST_INSERT_ID(), ROW_COUNT(), DATABASE(), @@autocommit",
    "DELETE FROM items WHERE id = 3",
    "SHOW CREATE TABLE nosuch_table",
    "SHOW COLUMNS FROM items",
    "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS "
    "WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION",
    "WITH RECURSIVE s (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 50) "
    "SELECT a.n * 100 + b.n AS n, REPEAT('x', (a.n + b.n) % 40) AS pad FROM s a, s b ORDER BY 1",
    "CREATE PROCEDURE two_results() BEGIN SELECT 1 AS one; SELECT name FROM items ORDER BY id; END",
    "CALL two_results()",
    "DROP TABLE nosuch_table",                                                # 1051
    "CREATE DATABASE " + DB,                                                  # 1007
]


def _connect(params: dict, **kw) -> pymysql.connections.Connection:
    return pymysql.connect(**params, **kw)


def _outcome(cur: pymysql.cursors.Cursor, sql: str) -> dict:
    try:
        cur.execute(sql)
    except pymysql.MySQLError as e:
        return {"sql": sql, "error": e.args}
    sets = []
    while True:
        res = cur.connection._result
        sets.append({
            "description": cur.description, "rowcount": cur.rowcount, "lastrowid": cur.lastrowid,
            "warnings": cur.warning_count, "info": res.message if res is not None else None,
            "rows": cur.fetchall(),
        })
        if not cur.nextset():
            break
    return {"sql": sql, "sets": sets}


def _fresh_database(mariadb_conn_params: dict) -> None:
    with _connect(mariadb_conn_params) as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DB}")
        cur.execute(f"CREATE DATABASE {DB}")


def _run(params: dict, statements: list[str], **kw) -> list[dict]:
    with _connect(params, database=DB, **kw) as conn, conn.cursor() as cur:
        return [_outcome(cur, sql) for sql in statements]


@pytest.fixture(scope="module")
def script_outcomes(mariadb_conn_params, double_conn_params):
    _fresh_database(mariadb_conn_params)
    direct = _run(mariadb_conn_params, SCRIPT)
    _fresh_database(mariadb_conn_params)
    double = _run(double_conn_params, SCRIPT)
    yield direct, double
    with _connect(double_conn_params) as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DB}")


@pytest.mark.parametrize("index", range(len(SCRIPT)), ids=[s.split(" (")[0][:40] for s in SCRIPT])
def test_same_answer_as_mariadb(script_outcomes, index):
    direct, double = script_outcomes
    assert double[index] == direct[index]


def test_script_exercises_what_it_claims(script_outcomes):
    """Guard against a script that silently stopped testing: the interesting cases are there."""
    direct, _ = script_outcomes
    by_sql = {o["sql"]: o for o in direct}
    errors = sorted(o["error"][0] for o in direct if "error" in o)
    assert errors == [1007, 1048, 1051, 1054, 1062, 1064, 1146, 1146]
    insert = by_sql[SCRIPT[1]]["sets"][0]
    assert (insert["rowcount"], insert["lastrowid"]) == (2, 1)
    assert insert["info"].endswith(b"Records: 2  Duplicates: 0  Warnings: 0")  # MariaDB: length-prefixed
    assert by_sql[SCRIPT[2]]["sets"][0]["warnings"] == 1
    assert by_sql[SCRIPT[2]]["sets"][0]["lastrowid"] == 3
    assert by_sql[SCRIPT[6]]["sets"][0]["rowcount"] == 2
    assert by_sql[SCRIPT[7]]["sets"][0]["rowcount"] == 0
    assert by_sql[SCRIPT[8]]["sets"][0]["rowcount"] == 2
    assert len(by_sql["CALL two_results()"]["sets"]) == 3
    assert len([o for o in direct if "sets" in o and len(o["sets"][0]["rows"]) == 2500]) == 1


def test_found_rows_flag_is_passed_on(mariadb_conn_params, double_conn_params):
    stmts = [
        "CREATE TABLE fr (id INT PRIMARY KEY, v INT)",
        "INSERT INTO fr VALUES (1, 1), (2, 2)",
        "UPDATE fr SET v = v",                # matched 2, changed 0: rowcount 2 with CLIENT_FOUND_ROWS
    ]
    _fresh_database(mariadb_conn_params)
    direct = _run(mariadb_conn_params, stmts, client_flag=CLIENT.FOUND_ROWS)
    _fresh_database(mariadb_conn_params)
    double = _run(double_conn_params, stmts, client_flag=CLIENT.FOUND_ROWS)
    assert double == direct
    assert direct[2]["sets"][0]["rowcount"] == 2


def test_transactions_and_status_flags(mariadb_conn_params, double_conn_params):
    def scenario(params):
        seen = []
        with _connect(params, database=DB, autocommit=False) as conn, conn.cursor() as cur:
            cur.execute("CREATE TABLE IF NOT EXISTS tx (id INT PRIMARY KEY)")
            seen.append(conn.get_autocommit())
            cur.execute("INSERT INTO tx VALUES (1)")
            seen.append(bool(conn.server_status & SERVER_STATUS.SERVER_STATUS_IN_TRANS))
            conn.rollback()
            cur.execute("SELECT COUNT(*) FROM tx")
            seen.append(cur.fetchone())
            conn.autocommit(True)
            seen.append(conn.get_autocommit())
            cur.execute("INSERT INTO tx VALUES (2)")
            seen.append(bool(conn.server_status & SERVER_STATUS.SERVER_STATUS_IN_TRANS))
        return seen

    _fresh_database(mariadb_conn_params)
    direct = scenario(mariadb_conn_params)
    _fresh_database(mariadb_conn_params)
    double = scenario(double_conn_params)
    assert double == direct == [False, True, (0,), True, False]


def test_multi_statement_query_is_refused(double_conn_params):
    with _connect(double_conn_params, client_flag=CLIENT.MULTI_STATEMENTS) as conn, conn.cursor() as cur:
        with pytest.raises(pymysql.err.ProgrammingError) as exc:
            cur.execute("SELECT 1; SELECT 2")
        assert exc.value.args[0] == 1064
        assert "one statement per query" in exc.value.args[1]
        cur.execute("SELECT 1;")          # a trailing semicolon is still one statement
        assert cur.fetchall() == ((1,),)


# --------------------------------------------------------------------------- SingleStore answers


def test_memsql_version(mariadb_conn_params, double_conn_params):
    with _connect(double_conn_params) as conn, conn.cursor(pymysql.cursors.DictCursor) as cur:
        cur.execute("SELECT @@memsql_version")
        rows = cur.fetchall()
    assert rows == [{"@@memsql_version": "8.9.24"}]
    with _connect(mariadb_conn_params) as conn, conn.cursor() as cur:
        with pytest.raises(pymysql.MySQLError) as exc:
            cur.execute("SELECT @@memsql_version")
        assert exc.value.args[0] == 1193


def test_singlestore_variables(double_conn_params):
    with _connect(double_conn_params) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT @@memsql_version_hash, @@memsql_version_date, @@memsql_id, @@version_comment, @@aggregator_id, "
            "@@default_table_type, @@default_partitions_per_leaf, @@version, VERSION(), @@session.memsql_version"
        )
        labels = [d[0] for d in cur.description]
        row = cur.fetchone()
        assert conn.get_server_info() == "5.7.32"
    assert labels == [
        "@@memsql_version_hash", "@@memsql_version_date", "@@memsql_id", "@@version_comment", "@@aggregator_id",
        "@@default_table_type", "@@default_partitions_per_leaf", "@@version", "VERSION()",
        "@@session.memsql_version",
    ]
    assert len(row[0]) == 40 and row[2]
    assert row[3].startswith("SingleStoreDB source distribution")
    assert row[4:] == (1, "columnstore", 8, "5.7.32", "5.7.32", "8.9.24")


def test_variables_mixed_with_other_expressions(mariadb_conn_params, double_conn_params):
    sql = ("SELECT @@system_time_zone, @@time_zone, TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(), NOW()) AS utc_off, "
           "@@memsql_version AS v, CONCAT('v', @@memsql_version), 1 + 1")
    with _connect(double_conn_params) as conn, conn.cursor() as cur:
        cur.execute(sql)
        labels = [d[0] for d in cur.description]
        row = cur.fetchone()
    with _connect(mariadb_conn_params) as conn, conn.cursor() as cur:
        cur.execute("SELECT @@system_time_zone, @@time_zone, TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(), NOW())")
        direct = cur.fetchone()
    assert labels == ["@@system_time_zone", "@@time_zone", "utc_off", "v", "CONCAT('v', @@memsql_version)", "1 + 1"]
    assert row == direct + ("8.9.24", "v8.9.24", 2)


def test_show_variables_lists_singlestore_ones(double_conn_params):
    with _connect(double_conn_params) as conn, conn.cursor() as cur:
        cur.execute("SHOW VARIABLES LIKE 'memsql%'")
        names = dict(cur.fetchall())
        cur.execute("SHOW VARIABLES LIKE 'version%'")
        version = dict(cur.fetchall())
    assert names["memsql_version"] == "8.9.24"
    assert {"memsql_version_hash", "memsql_version_date", "memsql_id"} <= set(names)
    assert version["version"] == "5.7.32"
    assert version["version_comment"].startswith("SingleStoreDB")


def test_set_time_zone_is_accepted_and_ignored(double_conn_params):
    with _connect(double_conn_params) as conn, conn.cursor() as cur:
        cur.execute("SELECT @@time_zone, TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(), NOW())")
        before = cur.fetchone()
        cur.execute("SET time_zone = '+05:00'")
        cur.execute("SET @x = 5, SESSION time_zone = '-03:00'")
        cur.execute("SELECT @@time_zone, TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(), NOW()), @x")
        after = cur.fetchone()
    assert after == before + (5,)


def test_set_and_use_are_forwarded(double_conn_params, mariadb_conn_params):
    _fresh_database(mariadb_conn_params)
    with _connect(double_conn_params) as conn, conn.cursor() as cur:
        cur.execute("SET SESSION sql_mode = 'ANSI_QUOTES'")
        cur.execute("SELECT @@sql_mode")
        assert cur.fetchone() == ("ANSI_QUOTES",)
        cur.execute(f"USE {DB}")
        cur.execute("SELECT DATABASE()")
        assert cur.fetchone() == (DB,)
        conn.select_db("mysql")  # COM_INIT_DB
        cur.execute("SELECT DATABASE()")
        assert cur.fetchone() == ("mysql",)
        with pytest.raises(pymysql.MySQLError) as exc:
            cur.execute("USE nosuch_database_xyz")
        assert exc.value.args[0] == 1049


# --------------------------------------------------------------------------- log-in


@pytest.fixture(scope="module")
def plain_user(mariadb_conn_params):
    with _connect(mariadb_conn_params) as conn, conn.cursor() as cur:
        for host in ("%", "localhost"):
            cur.execute(f"CREATE USER IF NOT EXISTS '{USER}'@'{host}' IDENTIFIED BY '{USER_PW}'")
    yield USER, USER_PW
    with _connect(mariadb_conn_params) as conn, conn.cursor() as cur:
        for host in ("%", "localhost"):
            cur.execute(f"DROP USER IF EXISTS '{USER}'@'{host}'")


def _login(params: dict, user: str, password: str, **kw):
    try:
        conn = pymysql.connect(**{**params, "user": user, "password": password}, **kw)
    except pymysql.MySQLError as e:
        return ("error", e.args)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT CURRENT_USER(), USER()")
        return ("ok", cur.fetchone())


@pytest.mark.parametrize("password", ["right", "wrong", "empty"])
def test_login_is_mariadbs(mariadb_conn_params, double_conn_params, plain_user, password):
    user, pw = plain_user
    pw = {"right": pw, "wrong": pw + "x", "empty": ""}[password]
    direct = _login(mariadb_conn_params, user, pw)
    double = _login(double_conn_params, user, pw)
    assert double == direct
    if password == "right":
        assert direct[0] == "ok"
    else:
        assert direct[0] == "error" and direct[1][0] == 1045


def test_wrong_password_gives_1045(double_conn_params):
    with pytest.raises(pymysql.err.OperationalError) as exc:
        pymysql.connect(**{**double_conn_params, "password": double_conn_params["password"] + "-wrong"})
    assert exc.value.args[0] == 1045
    assert "Access denied" in exc.value.args[1]


def test_unknown_user_and_database(mariadb_conn_params, double_conn_params):
    assert _login(double_conn_params, "dbl_nobody", "x") == _login(mariadb_conn_params, "dbl_nobody", "x")
    kw = {"database": "dbl_nosuch_database"}
    direct = _login(mariadb_conn_params, mariadb_conn_params["user"], mariadb_conn_params["password"], **kw)
    double = _login(double_conn_params, double_conn_params["user"], double_conn_params["password"], **kw)
    assert double == direct and direct[1][0] == 1049


def test_privileges_are_the_accounts_own(mariadb_conn_params, double_conn_params, plain_user):
    user, pw = plain_user
    _fresh_database(mariadb_conn_params)
    with _connect(mariadb_conn_params, database=DB) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE secret (id INT PRIMARY KEY)")
        cur.execute("CREATE TABLE open_t (id INT PRIMARY KEY)")
        cur.execute("INSERT INTO open_t VALUES (7)")
        cur.execute(f"GRANT SELECT ON {DB}.open_t TO '{user}'@'%'")
        cur.execute(f"GRANT SELECT ON {DB}.open_t TO '{user}'@'localhost'")

    def scenario(params):
        out = []
        with _connect({**params, "user": user, "password": pw}) as conn, conn.cursor() as cur:
            for sql in (f"SELECT * FROM {DB}.secret", f"SELECT * FROM {DB}.open_t", f"DROP TABLE {DB}.open_t",
                        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = '" + DB + "'",
                        "SELECT COUNT(*) FROM mysql.user"):
                out.append(_outcome(cur, sql))
        return out

    direct = scenario(mariadb_conn_params)
    double = scenario(double_conn_params)
    assert double == direct
    assert direct[0]["error"][0] == 1142
    assert direct[1]["sets"][0]["rows"] == ((7,),)
    assert direct[3]["sets"][0]["rows"] == (("open_t",),)
