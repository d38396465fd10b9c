"""Every series Linkgate records, in one place. Names follow Prometheus conventions: a `linkgate_`
prefix, base units (`_seconds`), `_total` on counters.

Every metric has labels, so its values are created on first use: by then `gateway.metrics.multiprocess`
has chosen where values live (a shared directory when several processes serve one scrape). Label values
come from fixed sets or from `gateway.metrics.labels`, never from a request's ids.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Request latency, from well under a millisecond (cached reads) to the slow tail of refresh pages.
HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Outbound calls: webhooks (timeout 10 s by default) and upstream aggregators (30 s).
OUTBOUND_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
REFRESH_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)

HTTP_REQUESTS = Counter(
    "linkgate_http_requests_total",
    "HTTP requests answered, by collection, route template, method and status code.",
    ["collection", "route", "method", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "linkgate_http_request_duration_seconds",
    "Time from receiving a request to the end of its answer.",
    ["collection", "route", "method"],
    buckets=HTTP_BUCKETS,
)

TOKENS_ISSUED = Counter(
    "linkgate_tokens_issued_total",
    "Access tokens issued, by kind (generic, user, item, dashboard).",
    ["kind"],
)
AUTH_FAILURES = Counter(
    "linkgate_auth_failures_total",
    "Requests refused for their credentials, by reason (the error code answered).",
    ["reason"],
)
RATE_LIMITED = Counter(
    "linkgate_rate_limited_total",
    "Requests refused by a rate limit, by the limit that refused them.",
    ["limit"],
)

WEBHOOK_ATTEMPTS = Counter(
    "linkgate_webhook_attempts_total",
    "Webhook delivery attempts, by outcome (delivered, rejected, timeout, error, refused).",
    ["outcome"],
)
WEBHOOK_ATTEMPT_DURATION = Histogram(
    "linkgate_webhook_attempt_duration_seconds",
    "Time one webhook delivery attempt took, by outcome.",
    ["outcome"],
    buckets=OUTBOUND_BUCKETS,
)

DURABLE_JOB_RUNS = Counter(
    "linkgate_durable_job_runs_total",
    "Durable job attempts finished, by kind and by the state they left the row in.",
    ["kind", "state"],
)

REFRESHES = Counter(
    "linkgate_refreshes_total",
    "Link refresh attempts, by provider and outcome.",
    ["provider", "outcome"],
)
REFRESH_DURATION = Histogram(
    "linkgate_refresh_duration_seconds",
    "Time one link refresh attempt took, by provider and outcome.",
    ["provider", "outcome"],
    buckets=REFRESH_BUCKETS,
)

UPSTREAM_REQUESTS = Counter(
    "linkgate_upstream_requests_total",
    "Calls to upstream aggregators, by provider, endpoint template and status (code, timeout or error).",
    ["provider", "endpoint", "status"],
)
UPSTREAM_REQUEST_DURATION = Histogram(
    "linkgate_upstream_request_duration_seconds",
    "Time to an upstream's answer (its headers), by provider and endpoint template.",
    ["provider", "endpoint"],
    buckets=OUTBOUND_BUCKETS,
)

# Gauges set by live processes: summed over the processes alive now; a dead process's values go.
SCHEDULER_LEADER = Gauge(
    "linkgate_scheduler_leader",
    "1 while this process's scheduler is the one sending periodic tasks, else 0 (summed over processes).",
    ["mode"],
    multiprocess_mode="livesum",
)
DB_POOL_CONNECTIONS = Gauge(
    "linkgate_db_pool_connections",
    "Database pool connections, by role (api, worker) and state (checked_out, idle).",
    ["role", "state"],
    multiprocess_mode="livesum",
)
DB_POOL_MAX_CONNECTIONS = Gauge(
    "linkgate_db_pool_max_connections",
    "Connections the database pools may open (size plus overflow), by role.",
    ["role"],
    multiprocess_mode="livesum",
)
