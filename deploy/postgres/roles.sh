#!/bin/sh
# Sets up each service's database and roles with roles.sql, from password files:
#   $CLINIC_SECRETS_DIR/<svc>_db_password            the service role's
#   $CLINIC_SECRETS_DIR/<svc>_migrator_db_password   the migration role's
#   $CLINIC_SECRETS_DIR/postgres_password            the superuser's (if the server asks)
# CLINIC_SECRETS_DIR defaults to /run/secrets (compose secrets); PGHOST, PGPORT and
# POSTGRES_USER say where and as whom. Idempotent: compose runs it before every
# migration, and `docker compose run --rm db-roles` after changing a password file
# changes the password (deploy/README.md, "One host: Docker Compose").
# CLINIC_SERVICE_DATABASES overrides the list (tests use their own names).
set -eu

secrets="${CLINIC_SECRETS_DIR:-/run/secrets}"
here="$(dirname "$0")"

read_secret() {
  if [ ! -s "${secrets}/$1" ]; then
    echo "${secrets}/$1 is missing or empty" >&2
    exit 1
  fi
  # The first line: a trailing newline from an editor or echo is not part of it.
  head -n 1 "${secrets}/$1" | tr -d '\r\n'
}

if [ -s "${secrets}/postgres_password" ]; then
  PGPASSWORD="$(read_secret postgres_password)"
  export PGPASSWORD
fi

for service in ${CLINIC_SERVICE_DATABASES:-intake scheduling billing}; do
  password="$(read_secret "${service}_db_password")"
  migrator_password="$(read_secret "${service}_migrator_db_password")"
  psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet --username "${POSTGRES_USER:-postgres}" \
    --dbname postgres --set=service="${service}" --set=password="${password}" \
    --set=migrator_password="${migrator_password}" --file "${here}/roles.sql" > /dev/null
  echo "database ${service}: owner ${service}_migrator, service role ${service} (DML only)"
done
