-- Panel "Transactions per store", schema profile "rollup". Format: table.
-- The dashboard's range as UTC DATETIME bounds (see ../transactions_per_store.sql for why not
-- $__timeFilter). A bucket holds the transactions of [bucket, bucket + 1 s): the buckets from
-- the range's start up to, not including, its end cover [from, to), the raw query's
-- BETWEEN from AND to minus the single instant `to` itself.
SELECT
    store_id,
    city,
    latitude,
    longitude,
    SUM(transactions) AS transactions
FROM store_sales_per_second
WHERE bucket >= TIMESTAMPADD(SECOND, $__unixEpochFrom(), '1970-01-01 00:00:00')
  AND bucket < TIMESTAMPADD(SECOND, $__unixEpochTo(), '1970-01-01 00:00:00')
GROUP BY store_id, city, latitude, longitude
ORDER BY transactions DESC
