"""The MoneyKit wire format (API version 2023-02-18): models and rendering of the unified schema."""
