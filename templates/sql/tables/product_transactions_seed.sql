-- product_transactions, schema profile "seed": the seed's table (seed/transactions-st.md, "Ingest
-- data to SingleStore") as it was written, with one change. SingleStore syntax.
--
-- Kept from the seed, on purpose (this profile is the baseline the others are measured against):
--   * no SORT KEY: the columnstore keeps rows in load order, so a filter on transaction_date
--     cannot skip any segment; every panel reads the whole table;
--   * no SHARD KEY clause: SingleStore shards on the PRIMARY KEY (transaction_id), which is what
--     the optimized profile writes out explicitly;
--   * transaction_date DATETIME (whole seconds): the producer's microseconds are truncated on load
--     (and a later rebuild into DATETIME(6) cannot bring them back).
--
-- The one change: transaction_id BIGINT instead of the seed's INT. Our producer
-- (files/producer/tx_producer.py) hands out 63-bit ids (prefix x 1,000,000 + counter, up to
-- 9.2e18); the seed's own producer drew random.randint(1, 1000000), which fits an INT. With INT,
-- every message of our producer is out of range (SingleStore's strict mode rejects it), so the
-- pipeline would load nothing and end in the Error state: a baseline that loads nothing measures
-- nothing. BIGINT changes neither the table's size class nor any query plan the panels get.
CREATE TABLE product_transactions (
    transaction_id BIGINT NOT NULL,
    store_id INT NOT NULL,
    city VARCHAR(50) NOT NULL,
    latitude DECIMAL(9, 6),
    longitude DECIMAL(9, 6),
    product_name VARCHAR(50) NOT NULL,
    brand VARCHAR(50),
    transaction_date DATETIME NOT NULL,
    quantity INT NOT NULL,
    total_amount DECIMAL(10, 2) NOT NULL,
    customer_id INT NOT NULL,
    payment_type VARCHAR(50) NOT NULL,
    PRIMARY KEY (transaction_id)
);
