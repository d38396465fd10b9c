"""Background work: Celery tasks over Redis (distributed) or an in-memory broker (embedded)."""
