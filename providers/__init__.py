"""Upstream adapters: each provider (sandbox, plaid, mx, yodlee) normalises into the unified schema."""
