"""SimpleFIN Bridge (protocol versions 1 and 2) as an upstream: the end user pastes a setup token."""
