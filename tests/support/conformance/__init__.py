"""Every answer the contract tests receive, judged against the official API descriptions.

The contract tests talk to the gateway through `ValidatingProxy` (proxy.py), a reverse proxy on
127.0.0.1 that hands each response to the judge of its collection before passing it on:
- `/v1/plaid`, `/v1/mx`, `/v2/yodlee`: the Plaid, MX and Yodlee OpenAPI files in
  `../shared/specs/openapi/` (openapi.py);
- `/v1/moneykit`: the official `moneykit` client's own operation table and models, parsed as its
  ApiClient parses them (moneykit.py).
A response whose status the operation does not declare, or whose body its schema refuses, is a
mismatch, unless deviations.py lists it as a deviation we chose on purpose, with the reason. The
contract conftest fails the test during which a mismatch was seen.
"""

from tests.support.conformance.judges import Mismatch, judge_response
from tests.support.conformance.proxy import ValidatingProxy

__all__ = ["Mismatch", "ValidatingProxy", "judge_response"]
