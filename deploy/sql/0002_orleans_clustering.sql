-- Granary: Orleans ADO.NET clustering (membership) for PostgreSQL, written to the Orleans 10.4
-- query contract. Keys looked up by Microsoft.Orleans.Clustering.AdoNet 10.4:
--   required: InsertMembershipVersionKey, InsertMembershipKey, UpdateMembershipKey,
--             UpdateIAmAlivetimeKey, MembershipReadRowKey, MembershipReadAllKey, GatewaysQueryKey,
--             DeleteMembershipTableEntriesKey, CleanupDefunctSiloEntriesKey
--   optional: CleanupDefunctSiloEntryKey (10.x: when present, cleanup reads all rows and deletes
--             each eligible Dead row only if it still has the values it was read with)
--
-- Membership protocol in short: one version row per deployment (cluster id) acts as the table's
-- optimistic-concurrency token. Inserting or updating a member must bump that version from the
-- value the silo read; if either the bump or the row write fails, nothing changes and the query
-- returns 0, so the silo re-reads and retries. Heartbeats (IAmAliveTime) bypass the version.
--
-- Idempotent: tables IF NOT EXISTS, functions CREATE OR REPLACE, queries upserted by key.

CREATE TABLE IF NOT EXISTS OrleansMembershipVersionTable
(
    DeploymentId varchar(150) NOT NULL,
    Timestamp timestamptz(3) NOT NULL DEFAULT now(),
    Version integer NOT NULL DEFAULT 0,

    CONSTRAINT PK_OrleansMembershipVersionTable_DeploymentId PRIMARY KEY (DeploymentId)
);

CREATE TABLE IF NOT EXISTS OrleansMembershipTable
(
    DeploymentId varchar(150) NOT NULL,
    Address varchar(45) NOT NULL,
    Port integer NOT NULL,
    Generation integer NOT NULL,
    SiloName varchar(150) NOT NULL,
    HostName varchar(150) NOT NULL,
    Status integer NOT NULL,
    ProxyPort integer NULL,
    SuspectTimes varchar(8000) NULL,
    StartTime timestamptz(3) NOT NULL,
    IAmAliveTime timestamptz(3) NOT NULL,

    CONSTRAINT PK_MembershipTable_DeploymentId PRIMARY KEY (DeploymentId, Address, Port, Generation),
    CONSTRAINT FK_MembershipTable_MembershipVersionTable_DeploymentId
        FOREIGN KEY (DeploymentId) REFERENCES OrleansMembershipVersionTable (DeploymentId)
);

-- Heartbeat: one write of one column, addressed by primary key; never touches the version.
CREATE OR REPLACE FUNCTION update_i_am_alive_time(
    deployment_id varchar,
    address_arg varchar,
    port_arg integer,
    generation_arg integer,
    i_am_alive_time timestamptz)
  RETURNS void AS
$func$
BEGIN
    UPDATE OrleansMembershipTable AS m
    SET IAmAliveTime = i_am_alive_time
    WHERE m.DeploymentId = deployment_id
      AND m.Address = address_arg
      AND m.Port = port_arg
      AND m.Generation = generation_arg;
END
$func$ LANGUAGE plpgsql;

-- Creates the deployment's version row; 1 if created, 0 if it already existed.
CREATE OR REPLACE FUNCTION insert_membership_version(
    DeploymentIdArg varchar)
  RETURNS TABLE(row_count integer) AS
$func$
DECLARE
    RowCountVar integer := 0;
BEGIN
    INSERT INTO OrleansMembershipVersionTable (DeploymentId)
    VALUES (DeploymentIdArg)
    ON CONFLICT (DeploymentId) DO NOTHING;

    GET DIAGNOSTICS RowCountVar = ROW_COUNT;
    RETURN QUERY SELECT RowCountVar;
END
$func$ LANGUAGE plpgsql;

-- Bumps the version from VersionArg, then inserts the member. 1 on success; 0 (and no change at
-- all) when the version moved on or the member already exists.
CREATE OR REPLACE FUNCTION insert_membership(
    DeploymentIdArg varchar,
    AddressArg      varchar,
    PortArg         integer,
    GenerationArg   integer,
    SiloNameArg     varchar,
    HostNameArg     varchar,
    StatusArg       integer,
    ProxyPortArg    integer,
    StartTimeArg    timestamptz,
    IAmAliveTimeArg timestamptz,
    VersionArg      integer)
  RETURNS TABLE(row_count integer) AS
$func$
DECLARE
    RowCountVar integer := 0;
BEGIN
    BEGIN
        UPDATE OrleansMembershipVersionTable
        SET Timestamp = now(),
            Version = Version + 1
        WHERE DeploymentId = DeploymentIdArg
          AND Version = VersionArg
          AND Version < 2147483647;

        GET DIAGNOSTICS RowCountVar = ROW_COUNT;

        IF RowCountVar > 0 THEN
            INSERT INTO OrleansMembershipTable
                (DeploymentId, Address, Port, Generation, SiloName, HostName, Status, ProxyPort,
                 StartTime, IAmAliveTime)
            VALUES
                (DeploymentIdArg, AddressArg, PortArg, GenerationArg, SiloNameArg, HostNameArg,
                 StatusArg, ProxyPortArg, StartTimeArg, IAmAliveTimeArg)
            ON CONFLICT (DeploymentId, Address, Port, Generation) DO NOTHING;

            GET DIAGNOSTICS RowCountVar = ROW_COUNT;

            -- The member exists already: undo the version bump (the block's subtransaction).
            IF RowCountVar = 0 THEN
                RAISE EXCEPTION 'no rows affected, rollback' USING ERRCODE = 'assert_failure';
            END IF;
        END IF;
    EXCEPTION
        WHEN assert_failure THEN
            RowCountVar := 0;
    END;

    RETURN QUERY SELECT RowCountVar;
END
$func$ LANGUAGE plpgsql;

-- Bumps the version from VersionArg, then updates the member's status, suspicions and heartbeat.
-- 1 on success; 0 (and no change at all) when the version moved on or the member is missing.
CREATE OR REPLACE FUNCTION update_membership(
    DeploymentIdArg varchar,
    AddressArg      varchar,
    PortArg         integer,
    GenerationArg   integer,
    StatusArg       integer,
    SuspectTimesArg varchar,
    IAmAliveTimeArg timestamptz,
    VersionArg      integer)
  RETURNS TABLE(row_count integer) AS
$func$
DECLARE
    RowCountVar integer := 0;
BEGIN
    BEGIN
        UPDATE OrleansMembershipVersionTable
        SET Timestamp = now(),
            Version = Version + 1
        WHERE DeploymentId = DeploymentIdArg
          AND Version = VersionArg
          AND Version < 2147483647;

        GET DIAGNOSTICS RowCountVar = ROW_COUNT;

        IF RowCountVar > 0 THEN
            UPDATE OrleansMembershipTable
            SET Status = StatusArg,
                SuspectTimes = SuspectTimesArg,
                IAmAliveTime = IAmAliveTimeArg
            WHERE DeploymentId = DeploymentIdArg
              AND Address = AddressArg
              AND Port = PortArg
              AND Generation = GenerationArg;

            GET DIAGNOSTICS RowCountVar = ROW_COUNT;

            -- No such member: undo the version bump (the block's subtransaction).
            IF RowCountVar = 0 THEN
                RAISE EXCEPTION 'no rows affected, rollback' USING ERRCODE = 'assert_failure';
            END IF;
        END IF;
    EXCEPTION
        WHEN assert_failure THEN
            RowCountVar := 0;
    END;

    RETURN QUERY SELECT RowCountVar;
END
$func$ LANGUAGE plpgsql;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('UpdateIAmAlivetimeKey', $q$
    SELECT * FROM update_i_am_alive_time(@DeploymentId, @Address, @Port, @Generation, @IAmAliveTime);
$q$),

('InsertMembershipVersionKey', $q$
    SELECT * FROM insert_membership_version(@DeploymentId);
$q$),

('InsertMembershipKey', $q$
    SELECT * FROM insert_membership(
        @DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort,
        @StartTime, @IAmAliveTime, @Version);
$q$),

('UpdateMembershipKey', $q$
    SELECT * FROM update_membership(
        @DeploymentId, @Address, @Port, @Generation, @Status, @SuspectTimes, @IAmAliveTime, @Version);
$q$),

-- The version row is returned even when the member row does not exist (LEFT JOIN), in one
-- statement so that rows and version come from the same snapshot.
('MembershipReadRowKey', $q$
    SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status,
           m.ProxyPort, m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
    FROM OrleansMembershipVersionTable v
    LEFT OUTER JOIN OrleansMembershipTable m
        ON v.DeploymentId = m.DeploymentId
       AND m.Address = @Address
       AND m.Port = @Port
       AND m.Generation = @Generation
    WHERE v.DeploymentId = @DeploymentId;
$q$),

('MembershipReadAllKey', $q$
    SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status,
           m.ProxyPort, m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
    FROM OrleansMembershipVersionTable v
    LEFT OUTER JOIN OrleansMembershipTable m
        ON v.DeploymentId = m.DeploymentId
    WHERE v.DeploymentId = @DeploymentId;
$q$),

('DeleteMembershipTableEntriesKey', $q$
    DELETE FROM OrleansMembershipTable WHERE DeploymentId = @DeploymentId;
    DELETE FROM OrleansMembershipVersionTable WHERE DeploymentId = @DeploymentId;
$q$),

-- @Status is Active (3) when clients ask for gateways.
('GatewaysQueryKey', $q$
    SELECT Address, ProxyPort, Generation
    FROM OrleansMembershipTable
    WHERE DeploymentId = @DeploymentId
      AND Status = @Status
      AND ProxyPort > 0;
$q$),

-- Used only when CleanupDefunctSiloEntryKey is absent: Dead (6) members that neither started nor
-- heartbeat since the cut-off and carry no suspicion votes.
('CleanupDefunctSiloEntriesKey', $q$
    DELETE FROM OrleansMembershipTable
    WHERE DeploymentId = @DeploymentId
      AND Status = 6
      AND IAmAliveTime < @IAmAliveTime
      AND StartTime < @IAmAliveTime
      AND COALESCE(SuspectTimes, '') = '';
$q$),

-- Orleans decides eligibility from a full read, then deletes one Dead member only if the row is
-- unchanged since that read (same heartbeat, start time and suspicion votes). No version bump.
('CleanupDefunctSiloEntryKey', $q$
    DELETE FROM OrleansMembershipTable
    WHERE DeploymentId = @DeploymentId
      AND Status = 6
      AND Address = @Address
      AND Port = @Port
      AND Generation = @Generation
      AND IAmAliveTime = @IAmAliveTime
      AND StartTime = @StartTime
      AND COALESCE(SuspectTimes, '') = COALESCE(@SuspectTimes, '');
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
