-- Which incarnation of a machine a sample counts, and how much of its totals earlier incarnations ran: a campaign
-- host that restarts (a silo failure, a whole-farm restart) reads the latest sample of each machine back, so the
-- campaign's totals carry on instead of falling to what the machines have run since.
ALTER TABLE stat_samples ADD COLUMN incarnation uuid NULL;
ALTER TABLE stat_samples ADD COLUMN banked_executions bigint NOT NULL DEFAULT 0 CHECK (banked_executions >= 0);
ALTER TABLE stat_samples ADD COLUMN banked_violations bigint NOT NULL DEFAULT 0 CHECK (banked_violations >= 0);
