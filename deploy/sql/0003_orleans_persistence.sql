-- Granary: Orleans ADO.NET grain persistence for PostgreSQL, written to the Orleans 10.4 query
-- contract. Keys looked up by Microsoft.Orleans.Persistence.AdoNet 10.4: WriteToStorageKey,
-- ReadFromStorageKey, ClearStorageKey, DeleteStorageKey (the last one for DeleteStateOnClear).
--
-- A grain's state is one row, identified by (GrainIdHash, GrainTypeHash, GrainIdN0, GrainIdN1,
-- GrainTypeString, GrainIdExtensionString, ServiceId). Version is the row's ETag: every write must
-- name the version it read, and gets the next one back; a write that returns the version it sent
-- means "someone else wrote first" and Orleans raises InconsistentStateException.
--
-- Idempotent: tables and indexes IF NOT EXISTS, functions CREATE OR REPLACE, queries upserted.

CREATE TABLE IF NOT EXISTS OrleansStorage
(
    GrainIdHash integer NOT NULL,
    GrainIdN0 bigint NOT NULL,
    GrainIdN1 bigint NOT NULL,
    GrainTypeHash integer NOT NULL,
    GrainTypeString varchar(512) NOT NULL,
    GrainIdExtensionString varchar(512) NULL,
    ServiceId varchar(150) NOT NULL,
    PayloadBinary bytea NULL,
    ModifiedOn timestamptz NOT NULL,
    Version integer NULL
);

-- One row per grain state, enforced by the database (NULLS NOT DISTINCT: PostgreSQL 15+, so two
-- grains without a key extension still collide). Its leading columns serve the lookups too.
CREATE UNIQUE INDEX IF NOT EXISTS UX_OrleansStorage_Grain
    ON OrleansStorage (GrainIdHash, GrainTypeHash, GrainIdN0, GrainIdN1, GrainTypeString,
                       GrainIdExtensionString, ServiceId)
    NULLS NOT DISTINCT;

-- Returns the new version on success, the unchanged (or NULL) version when the write lost.
CREATE OR REPLACE FUNCTION writetostorage(
    _grainidhash integer,
    _grainidn0 bigint,
    _grainidn1 bigint,
    _graintypehash integer,
    _graintypestring varchar,
    _grainidextensionstring varchar,
    _serviceid varchar,
    _grainstateversion integer,
    _payloadbinary bytea)
  RETURNS TABLE(newgrainstateversion integer) AS
$func$
DECLARE
    NewVersion integer := _grainstateversion;
    RowCountVar integer := 0;
BEGIN
    IF _grainstateversion IS NOT NULL THEN
        -- The grain read a version: update exactly that version.
        UPDATE OrleansStorage
        SET PayloadBinary = _payloadbinary,
            ModifiedOn = now(),
            Version = Version + 1
        WHERE GrainIdHash = _grainidhash
          AND GrainTypeHash = _graintypehash
          AND GrainIdN0 = _grainidn0
          AND GrainIdN1 = _grainidn1
          AND GrainTypeString = _graintypestring
          AND GrainIdExtensionString IS NOT DISTINCT FROM _grainidextensionstring
          AND ServiceId = _serviceid
          AND Version = _grainstateversion;

        GET DIAGNOSTICS RowCountVar = ROW_COUNT;
        IF RowCountVar > 0 THEN
            NewVersion := _grainstateversion + 1;
        END IF;
    ELSE
        -- The grain read nothing: insert, unless a row appeared meanwhile (unique index).
        INSERT INTO OrleansStorage
            (GrainIdHash, GrainIdN0, GrainIdN1, GrainTypeHash, GrainTypeString,
             GrainIdExtensionString, ServiceId, PayloadBinary, ModifiedOn, Version)
        VALUES
            (_grainidhash, _grainidn0, _grainidn1, _graintypehash, _graintypestring,
             _grainidextensionstring, _serviceid, _payloadbinary, now(), 1)
        ON CONFLICT DO NOTHING;

        GET DIAGNOSTICS RowCountVar = ROW_COUNT;
        IF RowCountVar > 0 THEN
            NewVersion := 1;
        END IF;
    END IF;

    RETURN QUERY SELECT NewVersion;
END
$func$ LANGUAGE plpgsql;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('WriteToStorageKey', $q$
    SELECT * FROM writetostorage(@GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash,
        @GrainTypeString, @GrainIdExtensionString, @ServiceId, @GrainStateVersion, @PayloadBinary);
$q$),

-- Columns read by name: PayloadBinary, Version.
('ReadFromStorageKey', $q$
    SELECT PayloadBinary, now() AS ReadOn, Version
    FROM OrleansStorage
    WHERE GrainIdHash = @GrainIdHash
      AND GrainTypeHash = @GrainTypeHash
      AND GrainIdN0 = @GrainIdN0
      AND GrainIdN1 = @GrainIdN1
      AND GrainTypeString = @GrainTypeString
      AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
      AND ServiceId = @ServiceId;
$q$),

-- Clear keeps the row (with no payload) so the version keeps counting.
('ClearStorageKey', $q$
    UPDATE OrleansStorage
    SET PayloadBinary = NULL,
        ModifiedOn = now(),
        Version = Version + 1
    WHERE GrainIdHash = @GrainIdHash
      AND GrainTypeHash = @GrainTypeHash
      AND GrainIdN0 = @GrainIdN0
      AND GrainIdN1 = @GrainIdN1
      AND GrainTypeString = @GrainTypeString
      AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
      AND ServiceId = @ServiceId
      AND Version = @GrainStateVersion
    RETURNING Version AS NewGrainStateVersion;
$q$),

-- With DeleteStateOnClear the row goes away.
('DeleteStorageKey', $q$
    DELETE FROM OrleansStorage
    WHERE GrainIdHash = @GrainIdHash
      AND GrainTypeHash = @GrainTypeHash
      AND GrainIdN0 = @GrainIdN0
      AND GrainIdN1 = @GrainIdN1
      AND GrainTypeString = @GrainTypeString
      AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
      AND ServiceId = @ServiceId
      AND Version = @GrainStateVersion
    RETURNING Version + 1 AS NewGrainStateVersion;
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
