"""The upstream side of the gateway: building the configured provider adapters and what they share."""
