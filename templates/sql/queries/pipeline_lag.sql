-- Panel "Pipeline lag (Kafka offsets behind)", a stat. Format: table, one row per pipeline.
-- Per Kafka partition, LATEST_OFFSET (exclusive) - CURSOR_OFFSET (next offset to load) is what
-- is still waiting in Kafka; summed per pipeline of the dashboard's database.
-- EARLIEST_OFFSET / LATEST_OFFSET "may be NULL if data extraction is still in progress or failed"
-- (https://docs.singlestore.com/cloud/reference/information-schema-reference/pipelines/pipelines-cursors/):
-- SUM leaves such partitions out for the moment of their batch, and is NULL (no value) only when
-- no partition of the pipeline has known offsets.
SELECT
    PIPELINE_NAME AS pipeline,
    SUM(LATEST_OFFSET - CURSOR_OFFSET) AS offsets_behind
FROM information_schema.PIPELINES_CURSORS
WHERE DATABASE_NAME = DATABASE()
GROUP BY PIPELINE_NAME
ORDER BY PIPELINE_NAME
