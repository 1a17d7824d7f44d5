#!/bin/sh
# One role and one database per service, created by the postgres image's entrypoint
# on the first start of an empty data directory (docker-entrypoint-initdb.d).
# Each role owns only its own database and nobody else may connect to it: no
# service reads another service's database.
#
# Passwords come from INTAKE_DB_PASSWORD, SCHEDULING_DB_PASSWORD, BILLING_DB_PASSWORD.
# CLINIC_SERVICE_DATABASES overrides the list (tests use their own names).
set -eu

for service in ${CLINIC_SERVICE_DATABASES:-intake scheduling billing}; do
  variable="$(echo "${service}" | tr '[:lower:]' '[:upper:]')_DB_PASSWORD"
  password="$(printenv "${variable}" || true)"
  if [ -z "${password}" ]; then
    echo "${variable} is not set" >&2
    exit 1
  fi
  psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname postgres \
    --set=service="${service}" --set=password="${password}" <<'SQL'
CREATE ROLE :"service" LOGIN PASSWORD :'password';
CREATE DATABASE :"service" OWNER :"service";
REVOKE ALL ON DATABASE :"service" FROM PUBLIC;
SQL
  echo "created database ${service} owned by role ${service}"
done
