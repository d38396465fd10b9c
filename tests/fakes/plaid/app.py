"""The fake Plaid's HTTP surface: the Plaid API endpoints (POST + JSON), the fake Link script, the page
it shows in an iframe (with that page's own script) and the fake-only endpoints the page calls (with CORS
for any origin, which the iframe does not need but other callers may)."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route

from tests.fakes.plaid import validation
from tests.fakes.plaid.api import HANDLERS
from tests.fakes.plaid.errors import PlaidFailure
from tests.fakes.plaid.models import RecordedRequest, Violation
from tests.fakes.plaid.state import PlaidState

PLAID_VERSION = "2020-09-14"
LINK_DIR = Path(__file__).parent / "link"
LINK_SCRIPT = LINK_DIR / "link-initialize.js"
LINK_FRAME_PAGE = LINK_DIR / "frame.html"
LINK_FRAME_SCRIPT = LINK_DIR / "frame.js"
LINK_SCRIPTS = (LINK_SCRIPT, LINK_FRAME_SCRIPT)
NO_STORE = {"Cache-Control": "no-store"}
REQUEST_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def request_id() -> str:
    """15 opaque characters, like Plaid's (`bkVE1BHWMAZ9Rnr`)."""
    return "".join(secrets.choice(REQUEST_ID_ALPHABET) for _ in range(15))


def build_plaid_app(state: PlaidState) -> Starlette:
    """An ASGI app serving `state` at the root, as https://sandbox.plaid.com does."""
    api = _Api(state)
    link = _LinkEndpoints(state)
    link_app = CORSMiddleware(
        Starlette(
            routes=[
                Route("/v2/stable/link-initialize.js", link.script, methods=["GET"]),
                Route("/fake/frame", link.frame, methods=["GET"]),
                Route("/fake/frame.js", link.frame_script, methods=["GET"]),
                Route("/fake/session", link.session, methods=["POST"]),
                Route("/fake/complete", link.complete, methods=["POST"]),
                Route("/fake/oauth/start", link.oauth_start, methods=["POST"]),
                Route("/fake/oauth/resume", link.oauth_resume, methods=["POST"]),
            ]
        ),
        allow_origins=["*"],
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["*"],
    )
    routes: list[Route | Mount] = [Route(path, api.endpoint, methods=["POST"]) for path in HANDLERS]
    routes.append(Mount("/link", app=link_app))  # after the routes: /link/token/create is the API's
    app = Starlette(routes=routes)
    app.add_exception_handler(404, api.not_found)
    app.add_exception_handler(405, api.not_found)
    return app


class _Api:
    def __init__(self, state: PlaidState) -> None:
        self.state = state

    async def not_found(self, request: Request, exc: Exception) -> Response:
        if request.method == "POST":  # a Plaid endpoint the fake does not serve, or a mistyped path
            problem = f"the fake Plaid does not serve POST {request.url.path}"
            self.state.record_violation(Violation(request.url.path, (problem,)))
        failure = PlaidFailure("NOT_FOUND", f"{request.method} {request.url.path} does not exist")
        return JSONResponse(failure.body(request_id()), status_code=404)

    async def endpoint(self, request: Request) -> Response:
        raw = await request.body()
        headers = dict(request.headers)
        return await asyncio.to_thread(self._answer, request.url.path, headers, raw)

    def _answer(self, path: str, headers: dict[str, str], raw: bytes) -> Response:
        """Validate, authenticate, apply faults, answer; record the request; judge the answer."""
        rid = request_id()
        body: Any = None
        client_id: str | None = None
        try:
            body = self._parse(path, headers.get("content-type", ""), raw)
            client_id = headers.get("plaid-client-id") or _text(body.get("client_id"))
            self._validate(path, headers, body)
            version = headers.get("plaid-version")
            if version is not None and version != PLAID_VERSION:
                raise PlaidFailure("INCOMPATIBLE_API_VERSION", f"Plaid-Version {version!r} is not supported")
            secret = headers.get("plaid-secret") or _text(body.get("secret"))
            client = self.state.check_credentials(client_id, secret)
            fault = self.state.take_fault(path)
            if fault is not None:
                raise PlaidFailure(fault)
            answer = {**HANDLERS[path](self.state, client, body), "request_id": rid}
            status, error_code = 200, None
        except PlaidFailure as failure:
            answer, status, error_code = failure.body(rid), failure.status, failure.error_code
        except Exception as error:  # a bug in the fake: answer like Plaid would, and fail the test on exit
            self.state.record_fake_bug(f"{path} raised {error!r}")
            crash = PlaidFailure("INTERNAL_SERVER_ERROR", f"the fake Plaid failed: {error!r}")
            answer, status, error_code = crash.body(rid), crash.status, crash.error_code
        encoded = orjson.dumps(answer)
        shown = {k: v for k, v in body.items() if k != "secret"} if isinstance(body, dict) else body
        self.state.record(RecordedRequest(path, shown, client_id, status, error_code, self.state.clock()))
        self._judge(path, status, answer)
        return Response(encoded, status_code=status, media_type="application/json")

    def _parse(self, path: str, content_type: str, raw: bytes) -> dict[str, Any]:
        """The JSON object body; another Content-Type or a body that is not a JSON object is a violation
        answered INVALID_BODY (plaid.md §5.2)."""
        try:
            if content_type.split(";")[0].strip().lower() != "application/json":
                raise PlaidFailure(
                    "INVALID_BODY", f"Content-Type must be application/json, not {content_type!r}"
                )
            return _parse(raw)
        except PlaidFailure as failure:
            self.state.record_violation(Violation(path, (f"(body): {failure.message}",)))
            raise

    def _validate(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> None:
        problems = validation.request_problems(
            path, headers, body, require_version=self.state.require_version_header
        )
        if not problems:
            return
        self.state.record_violation(Violation(path, tuple(problems)))
        raise PlaidFailure(_error_code_of(problems), "; ".join(problems)[:1000])

    def _judge(self, path: str, status: int, answer: dict[str, Any]) -> None:
        """Hold the answer against the OpenAPI file; long arrays (one renderer made every element) are
        judged on their first and last JUDGED_ENDS elements, so 500-transaction pages stay cheap."""
        if not self.state.validate_responses:
            return
        trimmed = {k: _ends(v) if isinstance(v, list) else v for k, v in answer.items()}
        problems = validation.response_problems(path, status, orjson.dumps(trimmed))
        if problems:
            message = f"the fake Plaid answered {path} against the spec: {problems[:5]}"
            self.state.record_fake_bug(message)
            raise AssertionError(message)


JUDGED_ENDS = 10


def _ends(values: list[Any]) -> list[Any]:
    return values if len(values) <= 2 * JUDGED_ENDS else values[:JUDGED_ENDS] + values[-JUDGED_ENDS:]


def _parse(raw: bytes) -> dict[str, Any]:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise PlaidFailure("INVALID_BODY") from error
    if not isinstance(body, dict):
        raise PlaidFailure("INVALID_BODY", "body must be a JSON object")
    return body


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _error_code_of(problems: list[str]) -> str:
    """INVALID_REQUEST codes: MISSING_FIELDS, UNKNOWN_FIELDS, INVALID_HEADERS, else INVALID_FIELD."""
    first = problems[0]
    if first.startswith("(headers)"):
        return "MISSING_FIELDS" if "clientId" in first or "secret" in first else "INVALID_HEADERS"
    if "is a required property" in first:
        return "MISSING_FIELDS"
    if "undeclared field" in first:
        return "UNKNOWN_FIELDS"
    return "INVALID_FIELD"


class _LinkEndpoints:
    """What the fake Link script asks its own origin for; errors come back as PlaidError bodies."""

    def __init__(self, state: PlaidState) -> None:
        self.state = state

    async def script(self, request: Request) -> Response:
        return FileResponse(LINK_SCRIPT, media_type="application/javascript", headers=NO_STORE)

    async def frame(self, request: Request) -> Response:
        """The page in Link's iframe; frame.js reads its query (token, origin, receivedRedirectUri)."""
        return FileResponse(LINK_FRAME_PAGE, media_type="text/html; charset=utf-8", headers=NO_STORE)

    async def frame_script(self, request: Request) -> Response:
        return FileResponse(LINK_FRAME_SCRIPT, media_type="application/javascript", headers=NO_STORE)

    async def session(self, request: Request) -> Response:
        return await self._run(request, self._session)

    async def complete(self, request: Request) -> Response:
        return await self._run(request, self._complete)

    async def oauth_start(self, request: Request) -> Response:
        return await self._run(request, self._oauth_start)

    async def oauth_resume(self, request: Request) -> Response:
        return await self._run(request, self._oauth_resume)

    async def _run(self, request: Request, work: Any) -> Response:
        raw = await request.body()

        def answer() -> Response:
            rid = request_id()
            try:
                return JSONResponse({**work(_parse(raw)), "request_id": rid})
            except PlaidFailure as failure:
                return JSONResponse(failure.body(rid), status_code=failure.status)
            except KeyError as error:
                missing = PlaidFailure("MISSING_FIELDS", f"missing field {error}")
                return JSONResponse(missing.body(rid), status_code=missing.status)

        return await asyncio.to_thread(answer)

    def _session(self, body: dict[str, Any]) -> dict[str, Any]:
        """The Link session of a token: institutions to offer, update mode, scripted exits."""
        token = self.state.link_token(str(body["link_token"]))
        if token.update_item_id is not None:
            offered = [self.state.institution(self.state.item(token.update_item_id).institution_id)]
        else:
            countries = {str(c) for c in token.request.get("country_codes") or []}  # type: ignore[attr-defined]
            products = set(token.products)
            offered = [
                i
                for i in self.state.institutions()
                if (not countries or countries & set(i.country_codes)) and products <= set(i.products)
            ]
        exit_error = None
        if self.state.link_exit_error is not None:
            failure = PlaidFailure(self.state.link_exit_error)
            exit_error = {
                k: failure.body("")[k]
                for k in ("error_type", "error_code", "error_message", "display_message")
            }
        return {
            "link_session_id": f"fake-session-{secrets.token_hex(8)}",
            "institutions": [
                {"institution_id": i.institution_id, "name": i.name, "oauth": i.oauth} for i in offered
            ],
            "update_mode": token.update_item_id is not None,
            "redirect_uri": token.redirect_uri,
            "exit_error": exit_error,
            "exit_status": self.state.link_exit_status,
        }

    def _complete(self, body: dict[str, Any]) -> dict[str, Any]:
        public_token = self.state.complete_link(
            str(body["link_token"]), institution_id=str(body.get("institution_id") or "ins_109508")
        )
        return self._success(public_token, body)

    def _oauth_start(self, body: dict[str, Any]) -> dict[str, Any]:
        url = self.state.start_oauth(str(body["link_token"]), str(body["institution_id"]))
        return {"redirect_url": url}

    def _oauth_resume(self, body: dict[str, Any]) -> dict[str, Any]:
        public_token, _ = self.state.resume_oauth(str(body["link_token"]), str(body["received_redirect_uri"]))
        return self._success(public_token, body)

    def _success(self, public_token: str, body: dict[str, Any]) -> dict[str, Any]:
        """onSuccess's arguments: the public token and metadata of plaid-upstream.md §3."""
        item = self.state.item_of_public_token(public_token)
        institution = self.state.institution(item.institution_id)
        accounts = [
            {
                "id": a.account_id,
                "name": a.spec.name,
                "mask": a.spec.mask,
                "type": a.spec.type,
                "subtype": a.spec.subtype,
                "verification_status": None,
                "class_type": None,
            }
            for a in item.accounts.values()
        ]
        metadata = {
            "institution": {"name": institution.name, "institution_id": institution.institution_id},
            "accounts": accounts,
            "link_session_id": str(body.get("link_session_id") or f"fake-session-{secrets.token_hex(8)}"),
            "transfer_status": None,
        }
        return {"public_token": public_token, "metadata": metadata}
