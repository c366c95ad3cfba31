"""The HTTP side of `mfl serve`: the dashboard and report pages, and the JSON API (starlette).

Routes (every one needs the token: `Authorization: Bearer <token>`, or the session cookie a
page sets when opened once with `?token=<token>`):

    GET  /  or /index.html          the dashboard (`?wall=1` rotates the reports full-screen)
    GET  /<report>_<grain>.html     a report page, as `mfl run` writes it
    GET  /api/status                the build answered from
    GET  /api/metrics               the metrics: label, formula, format, target, models
    GET  /api/reports               the reports: grains, metrics, dimensions, pages
    GET  /api/reports/<name>        ?grain=&date=: the report's rows for one period
    POST /api/query                 {"metrics": [...], "by": [...], "grain": ..., "start": ...,
                                    "end": ..., "where": ..., "no_indicators": false,
                                    "completeness": false}: the rows of `mfl query`

Errors are JSON {code, message, hint, location} with the code the CLI gives. Pages poll
/api/status and reload when a new build is served, on the report they show.
"""

from __future__ import annotations

import contextlib
import html
import json
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from metricflow_lite.errors import MflError
from metricflow_lite.serve import api
from metricflow_lite.serve.access import COOKIE, Access
from metricflow_lite.serve.served_project import ServedProject, now

# HTTP status of each error code a request can meet (anything else a user's mistake: 400).
STATUS_OF_CODE = {
    "E260": 404,  # unknown report
    "E312": 409,  # the build does not have it yet
    "E802": 422,  # row limit
    "E803": 504,  # time limit
    "E804": 503,  # no build yet
    "E810": 401,  # no or wrong token
    "E811": 413,  # body too large
    "E812": 404,  # no such page
}
POLL_SECONDS = 1.0  # how often the server looks for a new build
CONCURRENT_READS = 4  # reads the warehouse serves at once; more requests wait their turn

LIVE_RELOAD = """<script>
(function () {
  // mfl serve: reload on the report shown when a new build is served.
  var build = %s;
  var every = Math.max(2, parseInt(new URLSearchParams(location.search).get('refresh') || '10',
    10) || 10) * 1000;
  setInterval(function () {
    fetch('/api/status', {credentials: 'same-origin', cache: 'no-store'})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s || s.build === build) { return; }
        var tab = document.querySelector('[role="tab"][aria-selected="true"]');
        if (tab) { history.replaceState(null, '', '#' + tab.getAttribute('data-tab')); }
        location.reload();
      })
      .catch(function () { /* the server restarts: try again */ });
  }, every);
})();
</script>
"""


Handler = Callable[[Request], Awaitable[Response]]


class HttpApp:
    """The routes over one served project; `app` is the ASGI application."""

    def __init__(self, served: ServedProject, access: Access, log: Callable[[str], None]):
        self.served = served
        self.access = access
        self.log = log
        self.reads = anyio.CapacityLimiter(CONCURRENT_READS)
        routes = [
            Route("/", self.guard(self.page, page=True)),
            Route("/index.html", self.guard(self.page, page=True)),
            Route("/api/status", self.guard(self.status)),
            Route("/api/metrics", self.guard(self.metrics)),
            Route("/api/reports", self.guard(self.reports)),
            Route("/api/reports/{name}", self.guard(self.report)),
            Route("/api/query", self.guard(self.query), methods=["POST"]),
            Route("/{name:path}", self.guard(self.page, page=True)),
        ]
        self.app = Starlette(
            routes=routes,
            lifespan=self.lifespan,
            exception_handlers={HTTPException: self.http_exception},
        )

    # --- lifecycle ---------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        async with anyio.create_task_group() as group:
            group.start_soon(self.watch_builds)
            yield
            group.cancel_scope.cancel()

    async def watch_builds(self) -> None:
        """Take each new build when it has finished, and render its pages before anyone asks."""
        while True:
            try:
                if await anyio.to_thread.run_sync(self.served.refresh):
                    await anyio.to_thread.run_sync(self.served.pages)
            except Exception as err:  # noqa: BLE001 - the watcher must outlive one bad build
                self.log(f"{now()} cannot take the new build: {err!r}")
            await anyio.sleep(POLL_SECONDS)

    # --- access and errors -------------------------------------------------------------------

    def guard(self, handler: Handler, page: bool = False) -> Handler:
        async def guarded(request: Request) -> Response:
            started = time.perf_counter()
            page_route = page and not request.url.path.startswith("/api/")
            if page_route and "token" in request.query_params:
                return self.token_login(request)
            reason = self.access.refusal(
                request.headers.get("authorization"), request.cookies.get(COOKIE)
            )
            if reason is not None:
                err = MflError(
                    "E810",
                    f"not allowed: {reason}",
                    None,
                    "send Authorization: Bearer $MFL_SERVE_TOKEN (a browser: open the page"
                    " once with ?token=...)",
                )
                return self.refuse(request, err, page_route)
            try:
                return await handler(request)
            except MflError as err:
                return self.refuse(request, err, page_route)
            except ClientDisconnect:
                return Response(status_code=499)
            except Exception as err:  # noqa: BLE001 - one bad request never stops the server
                self.log(
                    f"{now()} internal error on {request.url.path} after"
                    f" {time.perf_counter() - started:.3f}s: {err!r}\n"
                    + "".join(traceback.format_exception(err)).rstrip()
                )
                body = {
                    "code": "E899",
                    "message": f"internal error: {type(err).__name__}",
                    "hint": "a bug in mfl: the server log has the details",
                    "location": None,
                }
                return JSONResponse(body, status_code=500)

        return guarded

    async def http_exception(self, request: Request, exc: Exception) -> Response:
        """The router's own refusals (a method a route does not take), logged as the rest."""
        status = exc.status_code if isinstance(exc, HTTPException) else 400
        detail = exc.detail if isinstance(exc, HTTPException) else str(exc)
        err = MflError("E814", f"{request.method} is not answered here: {detail}", None, None)
        self.log_refusal(request, status, err)
        headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else None
        return JSONResponse(api.error_body(err), status_code=status, headers=headers)

    def log_refusal(self, request: Request, status: int, err: MflError) -> None:
        client = f"{request.client.host}:{request.client.port}" if request.client else "-"
        self.log(
            f"{now()} refused {client} {request.method} {request.url.path}"
            f" {status} {err.code}: {err.message}"
        )

    def token_login(self, request: Request) -> Response:
        """`?token=` once: a session cookie and the same address without the token."""
        if not self.access.token_ok(request.query_params.get("token")):
            err = MflError("E810", "not allowed: wrong token", None, "check the ?token= value")
            return self.refuse(request, err, page=True)
        rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
        target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            COOKIE,
            self.access.cookie_value,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )
        return response

    def refuse(self, request: Request, err: MflError, page: bool) -> Response:
        status = STATUS_OF_CODE.get(err.code, 400)
        self.log_refusal(request, status, err)
        headers = {"WWW-Authenticate": 'Bearer realm="mfl"'} if status == 401 else None
        if page and request.method == "GET":
            return HTMLResponse(error_page(err, None), status_code=status, headers=headers)
        return JSONResponse(api.error_body(err), status_code=status, headers=headers)

    async def run(self, work: Callable[[], Any]) -> Any:
        return await anyio.to_thread.run_sync(work, limiter=self.reads)

    # --- routes ------------------------------------------------------------------------------

    async def page(self, request: Request) -> Response:
        name = request.path_params.get("name") or "index.html"
        pages = await self.run(self.served.pages)
        if pages.error is not None:
            status = STATUS_OF_CODE.get(pages.error.code, 503)
            return HTMLResponse(error_page(pages.error, pages.build_id), status_code=status)
        content = pages.page(name)
        if content is None:
            raise MflError(
                "E812",
                f"no page {name!r}",
                None,
                "the dashboard is at / ; report pages are <report>_<grain>.html",
            )
        return HTMLResponse(with_live_reload(content, pages.build_id))

    async def status(self, request: Request) -> Response:
        return JSONResponse({"build": self.served.snapshot.build_id})

    async def metrics(self, request: Request) -> Response:
        return JSONResponse(await self.run(lambda: api.metrics_list(self.served)))

    async def reports(self, request: Request) -> Response:
        return JSONResponse(await self.run(lambda: api.reports_list(self.served)))

    async def report(self, request: Request) -> Response:
        name = request.path_params["name"]
        grain = request.query_params.get("grain")
        on = request.query_params.get("date")
        key = (name, f"{grain or ''}|{on or ''}")
        found = await self.run(
            lambda: self.served.remembered(
                key, lambda: api.report_rows(self.served, name, grain, on)
            )
        )
        return JSONResponse(found)

    async def query(self, request: Request) -> Response:
        body = await self.read_json(request)
        return JSONResponse(await self.run(lambda: api.run_query(self.served, body)))

    async def read_json(self, request: Request) -> object:
        limit = self.served.limits.max_body_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise body_too_large(limit)
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise body_too_large(limit)
            chunks.append(chunk)
        try:
            body = json.loads(b"".join(chunks).decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as err:
            raise api.bad_field(
                f"the body is not JSON: {err}", 'send {"metrics": ["..."], ...}'
            ) from None
        except RecursionError:
            raise api.bad_field(
                "the body is not JSON mfl reads: it nests too deep",
                'send {"metrics": ["..."], ...}',
            ) from None
        try:
            # JSON may escape half of a UTF-16 pair ("\ud800"), which is no text: it reached
            # DuckDB, or failed the JSON answer that quotes it back (a plain-text 500)
            json.dumps(body, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as err:
            lone = err.object[err.start : err.end].encode("unicode_escape").decode("ascii")
            raise api.bad_field(
                f"the body holds {lone}, half of a UTF-16 surrogate pair, which is no text",
                "escape a character outside the BMP as its pair (\\ud83d\\ude00), or send it as"
                " UTF-8",
            ) from None
        return body


def body_too_large(limit: int) -> MflError:
    return MflError(
        "E811", f"the request body is larger than {limit:,} bytes", None, "send a smaller query"
    )


def with_live_reload(content: str, build_id: str | None) -> str:
    script = LIVE_RELOAD % json.dumps(build_id).replace("<", "\\u003c")
    at = content.rfind("</body>")
    return content[:at] + script + content[at:] if at >= 0 else content + script


def error_page(err: MflError, build_id: str | None) -> str:
    """A page that says what is wrong and reloads itself when a build is served."""
    hint = f"<p>{html.escape(err.hint)}</p>" if err.hint else ""
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>metricflow-lite</title></head><body>"
        f"<h1>{html.escape(err.code)}</h1><p>{html.escape(err.message)}</p>{hint}</body></html>"
    )
    return with_live_reload(page, build_id)
