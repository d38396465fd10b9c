"""MX Platform API: rendering the unified schema and webhooks in MX's wire format."""
