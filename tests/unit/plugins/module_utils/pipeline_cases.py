"""Task options shared by the singlestore_pipeline SQL tests: ``params()`` (the module's defaults plus overrides) and
``CASES``, rendered by test_pipeline_sql.py here and checked against the test double's parser by
tests/unit/lab/test_pipeline_module_agreement.py."""

from __future__ import annotations

from typing import Any

from ansible_collections.transactions_st.realtime.plugins.modules.singlestore_pipeline import argument_spec


def params(**overrides: Any) -> dict[str, Any]:
    out = {key: spec.get("default") for key, spec in argument_spec().items()}
    out.update(database="db", name="p", kafka={"brokers": ["k1:9092"], "topic": "tx"}, table="t")
    out.update(overrides)
    return out


CASES = {
    "seed kafka_msg_consumer": params(kafka={"brokers": ["ec2.example"], "topic": "test"}, table="messages"),
    "seed retails_kafka_consumer": params(kafka={"brokers": ["ec2.example:9092"], "topic": "retails"}, table="product_transactions",
                                          format="json", on_duplicate="skip"),
    "everything json": params(format="json", batch_interval=100, max_partitions_per_batch=4, max_offsets_per_batch_partition=5000,
                              stop_on_error=False, on_duplicate="update", on_duplicate_update={"hits": "hits + 1", "v": "VALUES(v)"},
                              kafka={"brokers": ["a:1", "b"], "topic": "t.x-y", "config": {"client.id": "c", "x": 5},
                                     "credentials": {"sasl.password": "pw'\\\"%"}},
                              mapping=[{"column": "id", "path": "%::id"}, {"column": "@ts", "path": "meta::ts ms", "default": 0},
                                       {"column": "doc", "path": "%"}, {"column": "name", "path": "n", "default": "it's 100%"}],
                              set={"created_at": "FROM_UNIXTIME(@ts / 1000)", "label": "FORMAT(@ts, 2)"},
                              where="@ts > 0 AND name NOT LIKE '%x%'"),
    "csv options": params(csv={"fields_terminated_by": ",", "enclosed_by": '"', "escaped_by": "", "lines_terminated_by": "\r\n",
                               "columns": ["a", "@b", "c"]}, set={"b2": "UPPER(@b)"}, on_duplicate="replace"),
    "ignore": params(format="json", on_duplicate="ignore", stop_on_error=True),
}
