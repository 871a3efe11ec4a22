-- Panel "Pipeline ingest rate", a time series. Format: time_series (time, metric, value).
-- Rows loaded per second by each pipeline of the dashboard's database (DATABASE() is the
-- datasource's database), from the batch history, in 5-second buckets.
-- START_TIME is written by the engine from its own clock, so it is read with the engine's own
-- conversion (UNIX_TIMESTAMP) and compared in epoch seconds with the dashboard's range.
SELECT
    UNIX_TIMESTAMP(START_TIME) DIV 5 * 5 AS `time`,
    PIPELINE_NAME AS metric,
    SUM(ROWS_STREAMED) / 5 AS rows_per_second
FROM information_schema.PIPELINES_BATCHES_SUMMARY
WHERE DATABASE_NAME = DATABASE()
  AND UNIX_TIMESTAMP(START_TIME) BETWEEN $__unixEpochFrom() AND $__unixEpochTo()
GROUP BY 1, 2
ORDER BY 1, 2
