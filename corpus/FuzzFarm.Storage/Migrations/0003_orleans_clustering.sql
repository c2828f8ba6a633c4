-- Orleans ADO.NET clustering (Invariant "Npgsql"). The Orleans packages do not ship their SQL, so this is ours,
-- written to the provider's contract: it reads every row of OrleansQuery once at start, runs each text with named
-- parameters (@DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort, @StartTime,
-- @IAmAliveTime, @SuspectTimes, @Version) and reads result columns by name. Writes are optimistic: a membership
-- insert or update succeeds only while the deployment's Version still equals the one the silo read, and bumps it.
-- Casts on every parameter so a NULL (SuspectTimes) or a DateTime of either kind has a definite type.

CREATE TABLE OrleansQuery (
    QueryKey   varchar(64)   NOT NULL PRIMARY KEY,
    QueryText  varchar(8000) NOT NULL
);

CREATE TABLE OrleansMembershipVersionTable (
    DeploymentId  varchar(150)   NOT NULL PRIMARY KEY,
    Timestamp     timestamptz(3) NOT NULL DEFAULT now(),
    Version       integer        NOT NULL DEFAULT 0
);

CREATE TABLE OrleansMembershipTable (
    DeploymentId  varchar(150)   NOT NULL REFERENCES OrleansMembershipVersionTable (DeploymentId),
    Address       varchar(45)    NOT NULL,
    Port          integer        NOT NULL,
    Generation    integer        NOT NULL,
    SiloName      varchar(150)   NOT NULL,
    HostName      varchar(150)   NOT NULL,
    Status        integer        NOT NULL,
    ProxyPort     integer        NOT NULL DEFAULT 0,
    SuspectTimes  varchar(8000)  NULL,
    StartTime     timestamptz(3) NOT NULL,
    IAmAliveTime  timestamptz(3) NOT NULL,
    PRIMARY KEY (DeploymentId, Address, Port, Generation)
);

-- Timestamps without a zone (a DateTime of unspecified kind) are read as UTC, whatever the server's zone.
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET timezone TO ''UTC''', current_database());
END
$$;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('InsertMembershipVersionKey', '
WITH created AS (
    INSERT INTO OrleansMembershipVersionTable (DeploymentId)
    VALUES (@DeploymentId::varchar)
    ON CONFLICT (DeploymentId) DO NOTHING
    RETURNING 1
)
SELECT count(*) > 0 FROM created;
'),
('InsertMembershipKey', '
WITH bumped AS (
    UPDATE OrleansMembershipVersionTable
    SET Version = Version + 1, Timestamp = now()
    WHERE DeploymentId = @DeploymentId::varchar AND Version = @Version::integer
      AND NOT EXISTS (SELECT 1 FROM OrleansMembershipTable
                      WHERE DeploymentId = @DeploymentId::varchar AND Address = @Address::varchar
                        AND Port = @Port::integer AND Generation = @Generation::integer)
    RETURNING DeploymentId
), inserted AS (
    INSERT INTO OrleansMembershipTable
        (DeploymentId, Address, Port, Generation, SiloName, HostName, Status, ProxyPort, StartTime, IAmAliveTime)
    SELECT DeploymentId, @Address::varchar, @Port::integer, @Generation::integer, @SiloName::varchar,
           @HostName::varchar, @Status::integer, @ProxyPort::integer,
           @StartTime::timestamptz, @IAmAliveTime::timestamptz
    FROM bumped
    RETURNING 1
)
SELECT count(*) > 0 FROM inserted;
'),
('UpdateMembershipKey', '
WITH bumped AS (
    UPDATE OrleansMembershipVersionTable
    SET Version = Version + 1, Timestamp = now()
    WHERE DeploymentId = @DeploymentId::varchar AND Version = @Version::integer
      AND EXISTS (SELECT 1 FROM OrleansMembershipTable
                  WHERE DeploymentId = @DeploymentId::varchar AND Address = @Address::varchar
                    AND Port = @Port::integer AND Generation = @Generation::integer)
    RETURNING DeploymentId
), updated AS (
    UPDATE OrleansMembershipTable m
    SET Status = @Status::integer, SuspectTimes = @SuspectTimes::varchar, IAmAliveTime = @IAmAliveTime::timestamptz
    FROM bumped
    WHERE m.DeploymentId = bumped.DeploymentId AND m.Address = @Address::varchar
      AND m.Port = @Port::integer AND m.Generation = @Generation::integer
    RETURNING 1
)
SELECT count(*) > 0 FROM updated;
'),
('UpdateIAmAlivetimeKey', '
UPDATE OrleansMembershipTable
SET IAmAliveTime = @IAmAliveTime::timestamptz
WHERE DeploymentId = @DeploymentId::varchar AND Address = @Address::varchar
  AND Port = @Port::integer AND Generation = @Generation::integer;
'),
('MembershipReadRowKey', '
SELECT v.DeploymentId AS "DeploymentId", m.Address AS "Address", m.Port AS "Port", m.Generation AS "Generation",
       m.SiloName AS "SiloName", m.HostName AS "HostName", m.Status AS "Status", m.ProxyPort AS "ProxyPort",
       m.SuspectTimes AS "SuspectTimes", m.StartTime AS "StartTime", m.IAmAliveTime AS "IAmAliveTime",
       v.Version AS "Version"
FROM OrleansMembershipVersionTable v
LEFT JOIN OrleansMembershipTable m
       ON m.DeploymentId = v.DeploymentId AND m.Address = @Address::varchar
      AND m.Port = @Port::integer AND m.Generation = @Generation::integer
WHERE v.DeploymentId = @DeploymentId::varchar;
'),
('MembershipReadAllKey', '
SELECT v.DeploymentId AS "DeploymentId", m.Address AS "Address", m.Port AS "Port", m.Generation AS "Generation",
       m.SiloName AS "SiloName", m.HostName AS "HostName", m.Status AS "Status", m.ProxyPort AS "ProxyPort",
       m.SuspectTimes AS "SuspectTimes", m.StartTime AS "StartTime", m.IAmAliveTime AS "IAmAliveTime",
       v.Version AS "Version"
FROM OrleansMembershipVersionTable v
LEFT JOIN OrleansMembershipTable m ON m.DeploymentId = v.DeploymentId
WHERE v.DeploymentId = @DeploymentId::varchar;
'),
('DeleteMembershipTableEntriesKey', '
DELETE FROM OrleansMembershipTable WHERE DeploymentId = @DeploymentId::varchar;
DELETE FROM OrleansMembershipVersionTable WHERE DeploymentId = @DeploymentId::varchar;
'),
('GatewaysQueryKey', '
SELECT Address AS "Address", ProxyPort AS "ProxyPort", Generation AS "Generation"
FROM OrleansMembershipTable
WHERE DeploymentId = @DeploymentId::varchar AND Status = @Status::integer AND ProxyPort > 0;
'),
-- Status 6 is SiloStatus.Dead: only dead silos whose last sign of life is older than the cutoff are removed.
('CleanupDefunctSiloEntriesKey', '
DELETE FROM OrleansMembershipTable
WHERE DeploymentId = @DeploymentId::varchar AND Status = 6
  AND IAmAliveTime < @IAmAliveTime::timestamptz AND StartTime < @IAmAliveTime::timestamptz
  AND coalesce(SuspectTimes, '''') = '''';
'),
-- One dead row, removed only if it is still exactly as the caller read it.
('CleanupDefunctSiloEntryKey', '
DELETE FROM OrleansMembershipTable
WHERE DeploymentId = @DeploymentId::varchar AND Address = @Address::varchar
  AND Port = @Port::integer AND Generation = @Generation::integer AND Status = 6
  AND StartTime = @StartTime::timestamptz AND IAmAliveTime = @IAmAliveTime::timestamptz
  AND SuspectTimes IS NOT DISTINCT FROM @SuspectTimes::varchar;
');
