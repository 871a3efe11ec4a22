-- Panel "Transactions (total)", schema profile "rollup". Format: table, one row, one number.
-- The same number as COUNT(*) FROM product_transactions (every message the rollup pipeline has
-- loaded adds 1 to one row's `transactions`), from a table of at most one row per store and
-- second instead of one row per transaction.
SELECT COALESCE(SUM(transactions), 0) AS transactions
FROM store_sales_per_second
