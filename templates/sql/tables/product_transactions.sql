-- product_transactions: one row per retail transaction, loaded from Kafka by a pipeline
-- (FORMAT JSON, keys mapped by column name). SingleStore syntax.
--
-- Differences from the seed's table (seed/transactions-st.md), and why:
--   transaction_id   BIGINT, not INT: the producer (files/producer/tx_producer.py) hands out
--                    63-bit ids.
--   transaction_date DATETIME(6), not DATETIME: the producer writes UTC with microseconds,
--                    "YYYY-MM-DD HH:MM:SS.ffffff". The values are UTC whatever the server's time
--                    zone: compare them with UTC_TIMESTAMP(6), never NOW() (docs/grafana.md).
--   SORT KEY         the dashboard's panels filter on recent transaction_date values; a
--                    columnstore sorted on it skips the older segments.
--   SHARD KEY        the primary key, written out (it is the default): a primary key must
--                    contain the shard key, and the pipeline's SKIP DUPLICATE KEY ERRORS drops
--                    a re-delivered message by its id.
--
-- Columnstore is the default table type (SingleStore 7.3+). MariaDB has no SHARD KEY / SORT KEY:
-- tests that create this table on MariaDB drop those two lines (the SingleStore test double
-- strips them itself).
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
