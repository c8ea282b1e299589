-- Granary: keep the grain directory's lookups on its primary key while the table is young.
--
-- PostgreSQL plans a prepared statement (Granary's pools auto-prepare) once and keeps the plan until the table's
-- statistics change. A lookup (cluster_id = $1 AND grain_hash = $2) planned while the table had no statistics went
-- through the index on (cluster_id, silo_address), the cluster's every entry read and filtered; planned after an
-- autoanalyze that caught the table with a few dozen rows, it was a sequential scan. Either plan stayed until the
-- next autoanalyze, up to a minute later (autovacuum_naptime), while the table grew to ~15,000 rows:
-- PostgreSQL then spent 0.7 ms and ~200 pages on each lookup instead of 0.01 ms and 4 (3 of 13 fresh deployments
-- under load ran at 642-920 sessions/s instead of 1,524-2,147; docs/performance.md).
-- So: the silo index leads with silo_address, which the lookup does not name, and autoanalyze waits for 1,000
-- changed rows, by when a sequential scan no longer looks cheaper than the primary key.
--
-- Idempotent.

DROP INDEX IF EXISTS ix_granary_grain_directory_silo;
CREATE INDEX IF NOT EXISTS ix_granary_grain_directory_by_silo ON granary_grain_directory (silo_address, cluster_id);
ALTER TABLE granary_grain_directory SET (autovacuum_analyze_threshold = 1000);
