-- How many violations of each group every machine incarnation has seen, counted by the engine: each row holds that
-- incarnation's running total, so resending it, or an older total arriving late, changes nothing (the larger stays).
-- A group's "seen" is the sum over its rows; crash_groups.hits stays the count of stored reports.
CREATE TABLE crash_seen (
    group_id    bigint  NOT NULL REFERENCES crash_groups (id) ON DELETE CASCADE,
    machine     integer NOT NULL,
    incarnation uuid    NOT NULL,
    seen        bigint  NOT NULL CHECK (seen >= 0),
    PRIMARY KEY (group_id, machine, incarnation)
);
