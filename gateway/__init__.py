"""Linkgate: a financial-data aggregation gateway speaking Plaid, MX, Yodlee and MoneyKit."""

__version__ = "0.1.0"
