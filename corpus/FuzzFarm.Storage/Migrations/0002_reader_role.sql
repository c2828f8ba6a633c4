-- Read-only role for dashboards (Grafana's PostgreSQL datasource). Roles belong to the whole server, so
-- migrations of two databases on one server may race to create it: the loser's error is expected and ignored.
-- The password is a development default, set only when the role is created; change it with ALTER ROLE.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fuzzfarm_reader') THEN
        CREATE ROLE fuzzfarm_reader LOGIN PASSWORD 'fuzzfarm_reader' NOSUPERUSER NOCREATEDB NOCREATEROLE;
    END IF;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

DO $$
BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO fuzzfarm_reader', current_database());
END
$$;

GRANT USAGE ON SCHEMA public TO fuzzfarm_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO fuzzfarm_reader;
-- Tables added by later migrations (run by the same owner) are readable too.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO fuzzfarm_reader;
