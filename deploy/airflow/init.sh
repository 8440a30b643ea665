#!/bin/sh
# One-shot Airflow set-up (the airflow-init service): check that the executor and the compose profile
# agree, then migrate the metadata database. Safe to run at every start.
set -eu
executor="${AIRFLOW__CORE__EXECUTOR:-LocalExecutor}"
case ",${COMPOSE_PROFILES:-}," in
  *,scale,*) scale=yes ;;
  *) scale=no ;;
esac
if [ "$scale" = yes ] && [ "$executor" != CeleryExecutor ]; then
  echo "airflow-init: the scale profile runs Celery workers: set AIRFLOW_EXECUTOR=CeleryExecutor in .env" >&2
  exit 1
fi
if [ "$scale" = no ] && [ "$executor" = CeleryExecutor ]; then
  echo "airflow-init: CeleryExecutor needs Redis and the workers of the scale profile: set COMPOSE_PROFILES=scale in .env" >&2
  exit 1
fi
case "${EWS_CRAWL_QUEUES:-}" in
  ""|none|kind|source) ;;
  *) echo "airflow-init: EWS_CRAWL_QUEUES=${EWS_CRAWL_QUEUES}: expected kind, source or none" >&2; exit 1 ;;
esac
airflow db migrate
if [ -n "${EWS_INIT_MARKER:-}" ]; then
  touch "$EWS_INIT_MARKER"
fi
echo "airflow-init: executor ${executor}, crawl queues by ${EWS_CRAWL_QUEUES:-none}; database migrated"
