"""Who may call `/v1/mx`: HTTP Basic `client_id:secret` (the whole app) or `client_id:secret:USR-…`
(that user only), and Link Money generic or user tokens. Item tokens name one link, which MX has no
route for, so they are refused."""

from __future__ import annotations

from gateway.auth.dependencies import require_app
from gateway.auth.principal import Scope
from gateway.auth.tokens import TokenKind

MX_READER = require_app(TokenKind.generic, TokenKind.user, scope=Scope.read, basic=True)
MX_WRITER = require_app(TokenKind.generic, TokenKind.user, scope=Scope.write_links, basic=True)
# Creating, updating and deleting users is the app's business, not one user's.
MX_ADMIN = require_app(TokenKind.generic, scope=Scope.write_links, basic=True)
