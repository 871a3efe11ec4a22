-- Panel "Slow queries", SingleStore only (dashboard "SingleStore slow queries"). Format: table.
-- The queries of this database that ran longer than the event trace's threshold, newest first:
-- the Query_completion trace the singlestore role creates when singlestore_slow_query_threshold_ms
-- is set (CREATE EVENT TRACE Query_completion WITH (Query_text = on, Duration_threshold_ms = N)).
-- MV_TRACE_EVENTS is a ring buffer on every node (one row per event; needs the PROCESS
-- privilege); DETAILS is JSON. JSON_EXTRACT_* instead of the ::$ / ::% operators: Grafana would
-- read "$name" as a dashboard variable. The SingleStore test double does not imitate event
-- traces: this query is not run in the lab (docs/latency.md).
SELECT
    TIME AS finished,
    JSON_EXTRACT_DOUBLE(DETAILS, 'duration_ms') AS duration_ms,
    JSON_EXTRACT_STRING(DETAILS, 'user_name') AS user_name,
    JSON_EXTRACT_STRING(DETAILS, 'activity_name') AS activity,
    LEFT(JSON_EXTRACT_STRING(DETAILS, 'query_text'), 1000) AS query_text
FROM information_schema.MV_TRACE_EVENTS
WHERE EVENT_TYPE = 'Query_completion'
  AND JSON_EXTRACT_STRING(DETAILS, 'context_database') = DATABASE()
ORDER BY TIME DESC
LIMIT 100
