"""The top floor: the stage functions, `ews run`, the `ews` command, the jobs the DAGs call, the Airflow glue."""
