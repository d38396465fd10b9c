"""Outbound wire formats: how Linkgate speaks MoneyKit, Plaid, MX and Yodlee to its callers.

One package per format holds its wire rendering of the unified schema and its webhook format
(`formats/webhook.py` is the protocol, `formats/registry.py` the table by name). Formats are pure
code: they never take a database session; what a body needs from the database is looked up on the
gateway side (`gateway/webhooks/format_lookups.py`) and handed over as a plain value. Arrows point one
way: `gateway` imports `formats`, `formats` imports `providers.base` (normalised types) and the
`gateway.models` it renders, never `gateway.webhooks`, `gateway.collections` or a session.
Upstream adapters (where data comes from) live in `providers/`.
"""
