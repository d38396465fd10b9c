"""Yodlee Core API 1.1: rendering the unified schema and webhooks in Yodlee's wire format."""
