-- The farm's own tables. Natural keys make every write idempotent: a retried report never duplicates anything.

CREATE TABLE campaigns (
    name        text        PRIMARY KEY,
    profile     text        NOT NULL,
    machines    integer     NOT NULL CHECK (machines > 0),
    seed        bigint      NOT NULL,
    status      text        NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per distinct bug (signature) within a campaign.
CREATE TABLE crash_groups (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign        text        NOT NULL REFERENCES campaigns (name) ON DELETE CASCADE,
    signature       text        NOT NULL,
    kind            text        NOT NULL,
    first_seen      timestamptz NOT NULL,
    last_seen       timestamptz NOT NULL,
    hits            bigint      NOT NULL DEFAULT 0,
    profiles        text[]      NOT NULL DEFAULT '{}',   -- profiles the bug was observed on while fuzzing
    minimized_text  text,                                -- set by triage
    introduced_in   text[],                              -- profiles where the bug first appears (triage)
    fixed_in        text[],                              -- profiles where it disappears again (triage)
    triaged_at      timestamptz,
    UNIQUE (campaign, signature)
);

-- Every report, keyed by the reporter's own id so a retried report is recognised.
CREATE TABLE crash_instances (
    report_id     text        PRIMARY KEY,
    group_id      bigint      NOT NULL REFERENCES crash_groups (id) ON DELETE CASCADE,
    profile       text        NOT NULL,
    machine       integer     NOT NULL,
    program_text  text        NOT NULL,
    observed_at   timestamptz NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX crash_instances_group ON crash_instances (group_id, observed_at);

-- Triage's replay of a group's minimized program on every profile.
CREATE TABLE crash_profile_matrix (
    group_id    bigint      NOT NULL REFERENCES crash_groups (id) ON DELETE CASCADE,
    profile     text        NOT NULL,
    violates    boolean     NOT NULL,
    checked_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, profile)
);

-- The signature x profile matrix as the dashboards read it.
CREATE VIEW signature_profile_matrix AS
SELECT g.campaign, g.signature, g.kind, m.profile, m.violates, m.checked_at
FROM crash_groups g
JOIN crash_profile_matrix m ON m.group_id = g.id;

CREATE TABLE corpus_entries (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign      text        NOT NULL REFERENCES campaigns (name) ON DELETE CASCADE,
    hash          text        NOT NULL,
    program_text  text        NOT NULL,
    features      integer     NOT NULL,
    added_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (campaign, hash)
);

-- Counters are totals so far for that machine at that instant; the dashboards difference them.
CREATE TABLE stat_samples (
    campaign    text        NOT NULL REFERENCES campaigns (name) ON DELETE CASCADE,
    machine     integer     NOT NULL,
    at          timestamptz NOT NULL,
    silo        text        NOT NULL,
    executions  bigint      NOT NULL,
    coverage    integer     NOT NULL,
    corpus      integer     NOT NULL,
    violations  bigint      NOT NULL,
    PRIMARY KEY (campaign, machine, at)
);
CREATE INDEX stat_samples_time ON stat_samples (campaign, at);
