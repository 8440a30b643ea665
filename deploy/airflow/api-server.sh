#!/bin/sh
# The Airflow API server with the admin password in memory only. SimpleAuthManager reads its passwords
# file and may rewrite it, so the file lives on this container's tmpfs (/run/airflow), written at every
# start from AIRFLOW_ADMIN_PASSWORD: never on a volume, gone when the container stops.
set -eu
: "${AIRFLOW_ADMIN_PASSWORD:?set AIRFLOW_ADMIN_PASSWORD}"
umask 077
python -c 'import json, os, sys; json.dump({"admin": os.environ["AIRFLOW_ADMIN_PASSWORD"]}, sys.stdout)' \
  > "${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:?}"
unset AIRFLOW_ADMIN_PASSWORD
exec airflow api-server --port 8080
