-- Panel "Revenue per city, last 60 s", schema profile "rollup". Format: table, one row per city.
-- The whole seconds (buckets) from UTC_TIMESTAMP() - 60 s on: UTC_TIMESTAMP() without a
-- precision is the current UTC second, so the window starts on a second boundary. The raw
-- query's window starts at UTC_TIMESTAMP(6) - 60 s: this one also counts the transactions of the
-- fraction of a second before that (at most one second of 60), nothing else differs.
SELECT
    city,
    SUM(revenue) AS revenue
FROM store_sales_per_second
WHERE bucket >= UTC_TIMESTAMP() - INTERVAL 60 SECOND
GROUP BY city
ORDER BY revenue DESC
