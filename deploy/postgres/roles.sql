-- One service's database and its two roles; safe to run again at any time (psql,
-- as a superuser, connected to database postgres):
--   psql -v ON_ERROR_STOP=1 -v service=intake -v password=... -v migrator_password=... -f roles.sql
--
--   <service>_migrator  owns the database and its schema public: runs the migrations (DDL).
--   <service>           the running service: CONNECT, and DML only, on every table and
--                       sequence the migrator creates (default privileges) or created.
-- Nobody else may connect. A database made by an older version, owned by the service
-- role, is handed to the migrator. Passwords are set on every run, so running it with
-- new passwords changes them (deploy/README.md, "Migrations").
\set migrator :service '_migrator'

SELECT format('CREATE ROLE %I LOGIN', :'migrator')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'migrator') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'service')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'service') \gexec
ALTER ROLE :"migrator" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'migrator_password';
ALTER ROLE :"service" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'password';

SELECT format('CREATE DATABASE %I OWNER %I', :'service', :'migrator')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'service') \gexec
ALTER DATABASE :"service" OWNER TO :"migrator";
REVOKE ALL ON DATABASE :"service" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"service" TO :"service";

\connect :"service"
-- Objects an older version created as the service role now belong to the migrator.
REASSIGN OWNED BY :"service" TO :"migrator";
ALTER SCHEMA public OWNER TO :"migrator";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"service";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"service";
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO :"service";
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO :"service";
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrator" IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"service";
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrator" IN SCHEMA public
  GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO :"service";
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrator" IN SCHEMA public
  GRANT EXECUTE ON FUNCTIONS TO :"service";
