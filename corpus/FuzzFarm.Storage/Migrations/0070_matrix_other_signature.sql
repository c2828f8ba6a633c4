-- A profile where the group's minimized repro violates with another signature than the group's: the first such
-- signature. NULL where the profile shows the group's signature or nothing, and on rows triaged before this column,
-- whose violates meant any violation. Introduced/fixed in are computed on the group's own signature.
ALTER TABLE crash_profile_matrix ADD COLUMN other_signature text NULL;

CREATE OR REPLACE VIEW signature_profile_matrix AS
SELECT g.campaign, g.signature, g.kind, m.profile, m.violates, m.checked_at, m.other_signature
FROM crash_groups g
JOIN crash_profile_matrix m ON m.group_id = g.id;
