"""Outbound wire formats: how Linkgate speaks MoneyKit, Plaid, MX and Yodlee to its callers.

One package per format holds its wire rendering of the unified schema and its webhook format.
Upstream adapters (where data comes from) live in `providers/`.
"""
