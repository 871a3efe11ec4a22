-- Fill store_sales_per_second from product_transactions: the rows the rollup pipeline would have
-- written for every transaction already loaded. The singlestore role runs it once, when it
-- creates the rollup pipeline on a live system (the main pipeline detached meanwhile, and the
-- rollup pipeline then set to start at the main pipeline's offsets, so every transaction is
-- counted once); the dashboard_latency benchmark fills its rollup table with it.
-- bucket: transaction_date cut to the whole second, like LEFT(transaction_date, 19) in the
-- pipeline (DATE_FORMAT never rounds up, unlike a CAST to DATETIME on some servers).
INSERT INTO store_sales_per_second (bucket, store_id, city, latitude, longitude, transactions, quantity, revenue)
SELECT
    DATE_FORMAT(transaction_date, '%Y-%m-%d %H:%i:%s') AS bucket,
    store_id,
    MIN(city),
    MIN(latitude),
    MIN(longitude),
    COUNT(*),
    SUM(quantity),
    SUM(total_amount)
FROM product_transactions
GROUP BY 1, 2
