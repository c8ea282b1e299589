-- Granary: the grain directory of a cluster on PostgreSQL (silo/Adapters/Storage/PostgresGrainDirectory.cs).
--
-- Orleans' in-cluster directory spreads its entries over every silo, agents included: when an agent silo dies or
-- is cut off, lookups of any grain whose entry it held wait until the cluster declares it dead, and Orleans then
-- deactivates those grains, manager grains included. Kept here, the directory lives as long as the database.
--
-- One row per active grain: its silo, its activation, and the membership version it was registered at
-- (which tells a reader whether a silo it does not know yet is dead or newer than its own view). Rows are keyed by
-- the SHA-256 of the grain id: a grain key has no length limit of its own, and PostgreSQL refuses index entries over
-- about 2.7 KB, which would fail that grain's every activation.
--
-- Idempotent: table and index IF NOT EXISTS.

CREATE TABLE IF NOT EXISTS granary_grain_directory
(
    cluster_id varchar(150) NOT NULL,
    grain_hash bytea NOT NULL,
    grain_id text NOT NULL,
    silo_address text NOT NULL,
    activation_id text NOT NULL,
    membership_version bigint NOT NULL,
    registered_at timestamptz NOT NULL DEFAULT now(),

    CONSTRAINT pk_granary_grain_directory PRIMARY KEY (cluster_id, grain_hash)
);

CREATE INDEX IF NOT EXISTS ix_granary_grain_directory_silo ON granary_grain_directory (cluster_id, silo_address);
