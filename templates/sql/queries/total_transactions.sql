-- Panel "Transactions (total)", a gauge. Format: table, one row, one number.
-- Every transaction loaded so far, as the seed's dashboard counted them. COUNT(*) on a
-- columnstore table is answered from segment metadata, so it stays cheap as the table grows.
SELECT COUNT(*) AS transactions
FROM product_transactions
