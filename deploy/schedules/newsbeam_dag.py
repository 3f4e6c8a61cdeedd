"""Airflow DAG: an incremental newsbeam pass every 15 minutes.

Copy into the DAGs folder and set the `newsbeam_feeds` / `newsbeam_data_dir`
Airflow Variables (or edit the defaults; they are read when the task runs, not
each time the scheduler parses this file). One run at a time: a pass that runs
long delays the next instead of overlapping it.
"""

from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator

SCRIPT = "/opt/newsbeam/deploy/schedules/newsbeam-scheduled.sh"

with DAG(
    dag_id="newsbeam_scheduled_ingest",
    schedule=timedelta(minutes=15),
    start_date=datetime(2025, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=2)},
    tags=["newsbeam"],
) as dag:
    BashOperator(
        task_id="incremental_pass",
        # The trailing space stops Airflow from treating the .sh path as a Jinja template file.
        bash_command=f"{SCRIPT} ",
        env={
            "NEWSBEAM_FEEDS": "{{ var.value.get('newsbeam_feeds', '/etc/newsbeam/feeds.txt') }}",
            "NEWSBEAM_DATA_DIR": "{{ var.value.get('newsbeam_data_dir', '/var/lib/newsbeam') }}",
        },
        append_env=True,
        execution_timeout=timedelta(minutes=30),
    )
