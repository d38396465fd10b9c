"""The durable-work kind for link refreshes (see workers/durable.py)."""

from __future__ import annotations

from gateway.models.refresh import RefreshJob
from workers.durable import DurableKind
from workers.names import REFRESH_LINK

REFRESH_JOBS = DurableKind(
    name="refresh_job",
    model=RefreshJob,
    task_name=REFRESH_LINK,
    max_attempts=lambda settings: 4,
)
