-- Granary: the Orleans ADO.NET query catalogue for PostgreSQL.
--
-- Every Orleans ADO.NET provider (clustering, grain persistence, reminders) reads its SQL from
-- OrleansQuery at start-up ("SELECT QueryKey, QueryText FROM OrleansQuery") and then only runs
-- those texts, binding parameters by name (@DeploymentId, @GrainIdHash, ...) and reading result
-- columns by name. The later scripts fill this table; the key names, parameter names and result
-- column names are the contract with Orleans 10.4 and must not change.
--
-- Idempotent: `granary-silo migrate` may apply this file any number of times.

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey varchar(64) NOT NULL,
    QueryText varchar(8000) NOT NULL,

    CONSTRAINT OrleansQuery_Key PRIMARY KEY (QueryKey)
);
