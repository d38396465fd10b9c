"""Calls to hosts that someone outside the operator chose (webhook URIs, upstream URLs from a setup
token): the address rules and the guarded HTTP client every such call goes through."""
