"""Plaid's wire format (API 2020-09-14): ids, rendering of the unified schema, and webhooks."""
