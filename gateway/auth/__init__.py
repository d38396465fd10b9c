"""Credentials, tokens and principals: who is calling, for which app, user or link, with what rights."""
