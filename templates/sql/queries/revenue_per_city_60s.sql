-- Panel "Revenue per city, last 60 s", a bar chart. Format: table, one row per city.
-- transaction_date holds UTC (the producer writes it so), hence UTC_TIMESTAMP(6): NOW() is the
-- server's local time and would shift the window by the server's UTC offset; the seed's
-- CONVERT_TZ(NOW(), 'UTC', 'Europe/Paris') only worked on a UTC server with Paris-time data.
SELECT
    city,
    SUM(total_amount) AS revenue
FROM product_transactions
WHERE transaction_date >= UTC_TIMESTAMP(6) - INTERVAL 60 SECOND
GROUP BY city
ORDER BY revenue DESC
