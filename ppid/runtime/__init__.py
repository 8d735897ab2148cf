"""Everything Prefect: server child, deployments, watcher, warm workers, case steps as flow runs."""
