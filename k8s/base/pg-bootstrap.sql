-- The PostgreSQL role of one service and its schema, owned by that role and
-- by no one else: a service can read and write its own tables only (no grants
-- on other schemas, no CREATE on the database, not a superuser).
-- Run by an administrator (superuser, or CREATEROLE and the database's owner),
-- once per service, before the services migrate; running it again changes
-- nothing but the password:
--   ROLE_PASSWORD=… psql "<admin dsn>" -v role=messenger_auth -v schema=auth -f pg-bootstrap.sql
-- Used by scripts/run.sh, the end-to-end tests and the k8s migrate Job.
\set ON_ERROR_STOP on
\set QUIET on
SET client_min_messages = warning;
-- From the environment, so the password is not on a command line.
\getenv password ROLE_PASSWORD
SELECT format('CREATE ROLE %I', :'role')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION '
              'NOBYPASSRLS PASSWORD %L', :'role', :'password') \gexec
-- Only the roles named here may connect to this database.
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database()) \gexec
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', current_database(), :'role') \gexec
SELECT format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', :'schema', :'role') \gexec
SELECT format('ALTER SCHEMA %I OWNER TO %I', :'schema', :'role') \gexec
SELECT format('REVOKE ALL ON SCHEMA %I FROM PUBLIC', :'schema') \gexec
-- Tables and sequences made before the roles existed (when every service
-- connected as one role) pass to the service; sequences of a column follow
-- their table.
SELECT format('ALTER TABLE %I.%I OWNER TO %I', n.nspname, c.relname, :'role')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = :'schema' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
    AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER SEQUENCE %I.%I OWNER TO %I', n.nspname, c.relname, :'role')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = :'schema' AND c.relkind = 'S'
    AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = :'role')
    AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass
                      AND d.deptype IN ('a', 'i')) \gexec
