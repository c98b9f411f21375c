#!/bin/sh
# One database, and per service one schema and two login roles:
#   hdh_<svc>_owner  owns the schema; only the migration job logs in with it (DDL).
#   hdh_<svc>        the running service: USAGE on its own schema and DML on its tables,
#                    nothing on the other schemas, no CREATE anywhere.
# Tables the owner creates later (by migration) get the service's privileges through
# ALTER DEFAULT PRIVILEGES, so no grant step is needed after each migration, except the
# audit one: its role gets SELECT and INSERT only (see audit-grants.sql, run after the
# audit migration, for the one column its outbox relay must update).
#
# docker-compose runs this once, on the first start of an empty data directory (the postgres
# image's /docker-entrypoint-initdb.d), as the superuser. Against an external server a DBA
# runs it the same way: PGHOST/PGUSER/... set, POSTGRES_DB and the ten passwords exported.
set -eu

: "${POSTGRES_DB:?}"
: "${POSTGRES_USER:=postgres}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v db="$POSTGRES_DB" <<'SQL'
-- Nobody but the roles granted below connects; nobody creates objects in public.
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL

for svc in catalog access linkage audit workspace; do
  upper=$(echo "$svc" | tr '[:lower:]' '[:upper:]')
  eval "owner_password=\${${upper}_DB_OWNER_PASSWORD:?${upper}_DB_OWNER_PASSWORD is required}"
  eval "app_password=\${${upper}_DB_PASSWORD:?${upper}_DB_PASSWORD is required}"
  # The audit log is append-only: its service may read and add rows, never change them.
  if [ "$svc" = audit ]; then table_privileges="SELECT, INSERT"
  else table_privileges="SELECT, INSERT, UPDATE, DELETE"; fi

  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v db="$POSTGRES_DB" -v schema="$svc" -v owner="hdh_${svc}_owner" -v app="hdh_${svc}" \
    -v owner_password="$owner_password" -v app_password="$app_password" \
    -v table_privileges="$table_privileges" <<'SQL'
CREATE ROLE :"owner" LOGIN PASSWORD :'owner_password';
CREATE ROLE :"app" LOGIN PASSWORD :'app_password';
GRANT CONNECT ON DATABASE :"db" TO :"owner", :"app";
CREATE SCHEMA :"schema" AUTHORIZATION :"owner";
GRANT USAGE ON SCHEMA :"schema" TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA :"schema"
  GRANT :table_privileges ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA :"schema"
  GRANT USAGE, SELECT ON SEQUENCES TO :"app";
ALTER ROLE :"owner" SET search_path = :"schema";
ALTER ROLE :"app" SET search_path = :"schema";
SQL
done

# The catalogue's search migration creates unaccent and pg_trgm in its schema "IF NOT
# EXISTS": creating an extension needs CREATE on the database, which the owner role does
# not get, so the superuser creates them here and the migration finds them.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA catalog;
CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA catalog;
SQL
