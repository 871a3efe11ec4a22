-- store_sales_per_second, schema profile "rollup": per store and per second of transaction_date,
-- the transactions, items and revenue. A second pipeline on the same Kafka topic upserts it
-- (roles/singlestore, docs/latency.md): every message adds 1 to `transactions`, its quantity and
-- total_amount to the sums of its (bucket, store_id) row. SingleStore syntax.
--
-- Size: at most one row per store and second, whatever the message rate (7 stores: 604,800 rows
-- a day), so the dashboard's panels read thousands of rows where product_transactions holds
-- millions. It is never pruned by this collection (see docs/latency.md, "What is not done").
--
-- ROWSTORE: a small table updated in place several times a second (ON DUPLICATE KEY UPDATE) and
-- read by range on `bucket`: an in-memory rowstore with its primary key index (skip list) on
-- (bucket, store_id) answers both without columnstore segment merges.
-- SHARD KEY: the primary key (the default, written out). Both columns together spread the rows
-- evenly; store_id alone (7 values) would leave most partitions empty. An upsert's key must
-- contain the shard key, and ON DUPLICATE KEY UPDATE only changes the counters, never a key column.
-- city, latitude, longitude: the store's, copied from the messages (constant per store_id), so
-- the geomap needs no join.
CREATE ROWSTORE TABLE store_sales_per_second (
    bucket DATETIME NOT NULL,
    store_id INT NOT NULL,
    city VARCHAR(50) NOT NULL,
    latitude DECIMAL(9, 6),
    longitude DECIMAL(9, 6),
    transactions BIGINT NOT NULL,
    quantity BIGINT NOT NULL,
    revenue DECIMAL(18, 2) NOT NULL,
    PRIMARY KEY (bucket, store_id),
    SHARD KEY (bucket, store_id)
);
