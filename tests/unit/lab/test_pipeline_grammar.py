"""The double's pipeline grammar: parse, render and the load statement it builds."""

import pytest

from tests.lab.pipelines import grammar, transform

SEED_RETAILS = ("CREATE PIPELINE retails_kafka_consumer AS LOAD DATA KAFKA 'broker:9092/retails' "
                "SKIP DUPLICATE KEY ERRORS INTO TABLE product_transactions FORMAT JSON;")
SEED_MESSAGES = "CREATE PIPELINE kafka_msg_consumer AS LOAD DATA KAFKA 'broker/test' INTO TABLE messages;"


def test_seed_pipelines_parse():
    d, or_replace, if_not_exists = grammar.parse_create(SEED_RETAILS)
    assert (d.name, d.brokers, d.topic, d.target, d.fmt) == (
        "retails_kafka_consumer", ("broker:9092",), "retails", "product_transactions", "JSON")
    assert d.error_handling == ("SKIP DUPLICATE KEY ERRORS",)
    assert not or_replace and not if_not_exists
    d, _, _ = grammar.parse_create(SEED_MESSAGES)
    assert d.brokers == ("broker",) and d.bootstrap == ("broker:9092",)  # printed as written, connected on Kafka's port
    assert d.fmt == "CSV" and d.fields_terminated_by == "\t"


@pytest.mark.parametrize("sql", [SEED_RETAILS, SEED_MESSAGES, (
    "CREATE OR REPLACE PIPELINE `p` AS LOAD DATA KAFKA 'a:1,b:2/t' CONFIG '{\"security.protocol\":\"SASL_SSL\"}' "
    "CREDENTIALS '{\"sasl.password\":\"s3cret\"}' BATCH_INTERVAL 100 MAX_PARTITIONS_PER_BATCH 2 STOP_ON_ERROR OFF "
    "INTO TABLE x FORMAT JSON (id <- transaction_id, @amt <- total_amount DEFAULT 0, city <- store::city) "
    "SET total = @amt * 100 WHERE @amt > 5 ON DUPLICATE KEY UPDATE total = total + VALUES(total)")])
def test_render_round_trips(sql):
    d, _, _ = grammar.parse_create(sql)
    assert grammar.parse_create(grammar.render(d, with_credentials=True))[0] == d


def test_render_hides_credentials():
    d, _, _ = grammar.parse_create(
        "CREATE PIPELINE p AS LOAD DATA KAFKA 'h/t' CREDENTIALS '{\"sasl.password\":\"s3cret\"}' INTO TABLE x FORMAT JSON")
    assert "s3cret" not in grammar.render(d)
    assert "s3cret" in grammar.render(d, with_credentials=True)


@pytest.mark.parametrize("sql", [
    "CREATE PIPELINE p AS LOAD DATA S3 'bucket/x' INTO TABLE t",
    "CREATE PIPELINE p AS LOAD DATA KAFKA 'no-topic' INTO TABLE t",
    "CREATE PIPELINE p AS LOAD DATA KAFKA 'h/t' FORMAT JSON",
    "ALTER PIPELINE p",
    "ALTER PIPELINE p SET OFFSETS 'not json'",
])
def test_bad_statements_are_syntax_errors(sql):
    with pytest.raises(grammar.PipelineSyntaxError):
        grammar.parse(sql)


def test_statement_forms():
    st = grammar.parse("START PIPELINE IF NOT RUNNING db.p FOREGROUND LIMIT 2 BATCHES")
    assert (st.verb, st.database, st.name, st.if_clause, st.foreground, st.limit) == ("START", "db", "p", True, True, 2)
    st = grammar.parse("ALTER PIPELINE p SET BATCH_INTERVAL 30 SET OFFSETS latest")
    assert st.alter == (("batch_interval", 30), ("offsets", "LATEST"))
    assert grammar.parse("STOP PIPELINE IF RUNNING p DETACH").detach
    assert grammar.parse("TEST PIPELINE p LIMIT 5").limit == 5


def test_json_mapping_and_set_clause():
    d, _, _ = grammar.parse_create(
        "CREATE PIPELINE p AS LOAD DATA KAFKA 'h/t' INTO TABLE x FORMAT JSON "
        "(id <- transaction_id, @amt <- total_amount DEFAULT 0, city <- store::city) SET total = @amt * 100")
    rows = transform.json_rows(d, b'{"transaction_id": 5, "store": {"city": "P"}, "ok": true}', [])
    assert rows[0].values == (5, "P") and rows[0].variables == {"@amt": "0"}
    plan = transform.insert_plan(d, "db", rows[0].columns)
    assert plan.sql == "INSERT INTO `db`.`x` (`id`, `city`, `total`) VALUES (%s, %s, %s * 100)"
    assert transform.row_params(plan, rows[0]) == (5, "P", "0")


def test_missing_path_without_default_is_a_record_error():
    d, _, _ = grammar.parse_create("CREATE PIPELINE p AS LOAD DATA KAFKA 'h/t' INTO TABLE x FORMAT JSON (id <- nope)")
    with pytest.raises(transform.RecordError):
        transform.json_rows(d, b'{"id": 1}', [])
    with pytest.raises(transform.RecordError):
        transform.json_rows(d, b'{not json', [])


def test_skip_duplicate_keys_does_not_hide_other_errors():
    d, _, _ = grammar.parse_create(SEED_RETAILS)
    plan = transform.insert_plan(d, "demo", ("transaction_id", "city"))
    assert plan.sql.startswith("INSERT INTO") and plan.sql.endswith("ON DUPLICATE KEY UPDATE `transaction_id` = `transaction_id`")


def test_bind_variables_escapes_percent():
    sql, names = transform.bind_variables("CONCAT(@a, '%', 'x@y') LIKE '5%'")
    assert sql == "CONCAT(%s, '%%', 'x@y') LIKE '5%%'" and names == ["@a"]
