"""Sending a task to the broker; called only after the transaction that justified it committed."""

from __future__ import annotations

from gateway.db import TaskRequest


def send_task_request(request: TaskRequest) -> None:
    from workers.celery_app import celery_app

    celery_app.send_task(request.name, args=list(request.args), countdown=request.countdown)
