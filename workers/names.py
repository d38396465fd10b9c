"""Task names, importable without importing the Celery app."""

DELIVER_WEBHOOK = "linkgate.webhooks.deliver"
SWEEP_DUE_WORK = "linkgate.sweeper.sweep"
REFRESH_LINK = "linkgate.links.refresh"
SCHEDULE_REFRESHES = "linkgate.links.schedule_refreshes"
PURGE_EXPIRED = "linkgate.retention.purge_expired"
DISCONNECT_UPSTREAM = "linkgate.links.disconnect_upstream"
