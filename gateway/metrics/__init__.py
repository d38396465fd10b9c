"""Prometheus metrics: what Linkgate counts (`definitions`), how labels stay bounded (`labels`), how
processes share one scrape (`multiprocess`), and where the scrape is served (`exposition`).

README "Metrics" lists every series and the settings.
"""
