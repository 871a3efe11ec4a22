-- Panel "Transactions per store", a geomap (markers at latitude/longitude). Format: table.
-- The dashboard's time range, turned into UTC DATETIME bounds without any time zone: epoch
-- seconds from Grafana ($__unixEpochFrom/To) added to 1970-01-01 00:00:00. $__timeFilter would
-- use FROM_UNIXTIME, which answers in the session's time zone; SingleStore ignores
-- SET time_zone, so on a server not running in UTC that would shift the range.
SELECT
    store_id,
    city,
    latitude,
    longitude,
    COUNT(*) AS transactions
FROM product_transactions
WHERE transaction_date BETWEEN TIMESTAMPADD(SECOND, $__unixEpochFrom(), '1970-01-01 00:00:00')
                           AND TIMESTAMPADD(SECOND, $__unixEpochTo(), '1970-01-01 00:00:00')
GROUP BY store_id, city, latitude, longitude
ORDER BY transactions DESC
