-- product_transactions: one row per retail transaction, loaded from Kafka by a pipeline
-- (FORMAT JSON, each column mapped from the JSON key of the same name). SingleStore syntax.
-- This is the table of the schema profiles "optimized" and "rollup" (roles/singlestore,
-- docs/latency.md); the profile "seed" uses product_transactions_seed.sql.
--
-- Differences from the seed's table (seed/transactions-st.md), and why:
--   transaction_id   BIGINT, not INT: the producer (files/producer/tx_producer.py) hands out
--                    63-bit ids.
--   transaction_date DATETIME(6), not DATETIME: the producer writes UTC with microseconds,
--                    "YYYY-MM-DD HH:MM:SS.ffffff". The values are UTC whatever the server's time
--                    zone: compare them with UTC_TIMESTAMP(6), never NOW() (docs/grafana.md).
--   SORT KEY         the dashboard's panels filter on recent transaction_date values. Each
--                    columnstore segment (about a million rows) keeps the min/max of every
--                    column; sorted on transaction_date, a filter such as "the last 60 s" reads
--                    the newest segment(s) only and skips the others (segment elimination),
--                    where the seed's unsorted table reads them all.
--   SHARD KEY        transaction_id, written out (it is also the default: the primary key).
--                    Rows go to partitions by a hash of the shard key. transaction_id is unique
--                    and its values are spread uniformly (random 43-bit block prefixes), so every
--                    partition gets the same share of rows and of each pipeline batch, and every
--                    partition works the same amount on a query. store_id, the other candidate
--                    ("the panels group by store"), has 7 values: with the default 8 partitions
--                    per leaf at least one partition would get nothing, and the busiest store's
--                    partition would hold and scan more than the others (real stores do not sell
--                    alike: a store selling twice as much makes its partition twice as slow, and a
--                    query waits for its slowest partition). A primary key must contain the shard
--                    key, so sharding on
--                    store_id would also mean a primary key (store_id, transaction_id), and the
--                    pipeline's SKIP DUPLICATE KEY ERRORS would then only catch a re-delivered
--                    message within the same store. The panels' GROUP BY store/city work on a few
--                    rows per partition after local aggregation: they gain nothing from a
--                    store-sharded table.
--
-- Columnstore is the default table type (SingleStore 7.3+). MariaDB has no SHARD KEY / SORT KEY:
-- tests that create this table on MariaDB drop those two lines (the SingleStore test double
-- strips them itself, and turns the SORT KEY into a hidden index: tests/lab/double/README.md).
CREATE TABLE product_transactions (
    transaction_id BIGINT NOT NULL,
    store_id INT NOT NULL,
    city VARCHAR(50) NOT NULL,
    latitude DECIMAL(9, 6),
    longitude DECIMAL(9, 6),
    product_name VARCHAR(50) NOT NULL,
    brand VARCHAR(50),
    transaction_date DATETIME(6) NOT NULL,
    quantity INT NOT NULL,
    total_amount DECIMAL(10, 2) NOT NULL,
    customer_id INT NOT NULL,
    payment_type VARCHAR(50) NOT NULL,
    PRIMARY KEY (transaction_id),
    SHARD KEY (transaction_id),
    SORT KEY (transaction_date)
);
