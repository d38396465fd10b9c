"""Upstream adapters: where data comes from (the sandbox today), each normalising into the unified schema.

How Linkgate speaks Plaid, MX, Yodlee and MoneyKit to its own callers is `formats/`, not here.
"""
