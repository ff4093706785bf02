"""The web app at ``/`` and Swagger UI at ``/docs``, both from the node's own files (no CDN).

The app is what ``scripts/build-web.sh`` writes into ``web.dist_dir``: ``index.html`` and
content-hashed files under ``assets/`` (a new build gets new names), so an asset is cached for
a year and ``index.html`` is revalidated on every load (``ETag``). Swagger UI's three files come
from npm's ``swagger-ui-dist``. Each file is read once and kept with its gzip form (the app's
first load is about a third of its size so), and read again when it changes on disk.

The app's page carries a Content-Security-Policy: scripts, styles and connections from this
node only (and the chain RPC URL the app is given), no inline script, no framing; an injected
post text or profile field can run nothing even if some rendering bug let markup through.

None of these routes is in the OpenAPI document: they are not the API. They answer in the
error shape like every route (an unknown asset is 404 ``no_file``), but ``/`` without a
build, which is a page for a person: it says how to build the app.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi import Path as PathParam
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response

from node.config import WebSettings
from node.errors import NotFound
from node.redact import redact_url

#: An asset's name: one path segment, never ``.`` or ``..`` (nothing outside the directory).
ASSET_NAME = r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$"
#: Content-hashed assets never change under their name.
IMMUTABLE = "public, max-age=31536000, immutable"
#: Swagger UI's files change only with the npm package: a day.
SWAGGER_CACHE = "public, max-age=86400"
#: ``index.html`` names the current assets: always ask whether it changed.
REVALIDATE = "no-cache"
#: Files smaller than this are sent as they are: gzip would save nothing worth a header.
GZIP_MIN_BYTES = 1024
#: Headers of the app's page (``{rpc}``: the chain RPC URL it reads through, if any).
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'{rpc}; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
#: The files of swagger-ui-dist that ``/docs`` loads.
SWAGGER_FILES = frozenset({"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"})

NOT_BUILT = """<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Mecenate: web app not built</title>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem">
<h1>The web app is not built</h1>
<p>This node serves its API (<a href="/docs">/docs</a>), but found no web app in
<code>{where}</code>.</p>
<p>Build it with <code>./scripts/build-web.sh</code> (or <code>./scripts/setup.sh</code>, which
calls it), then reload this page. Set <code>web.dist_dir</code> if it lives elsewhere.</p>
</body></html>
"""


@dataclass(frozen=True)
class _File:
    stamp: tuple[int, int]  # mtime_ns, size: read again when either changes
    body: bytes
    gzipped: bytes | None
    etag: str
    media_type: str


class Shelf:
    """The files of one directory, served by name: read once, kept with their gzip form."""

    def __init__(self, directory: Path, *, only: frozenset[str] | None = None) -> None:
        self.directory = directory
        self.only = only
        self._files: dict[str, _File] = {}
        self._lock = threading.Lock()

    def has(self, name: str) -> bool:
        return (self.directory / name).is_file()

    def _load(self, name: str) -> _File:
        """The file ``name``, from memory unless it changed. Raises NotFound when absent."""
        path = self.directory / name
        if (self.only is not None and name not in self.only) or not path.is_file():
            raise NotFound(f"no file {name!r} here", reason="no_file")
        st = path.stat()
        stamp = (st.st_mtime_ns, st.st_size)
        with self._lock:
            kept = self._files.get(name)
        if kept is not None and kept.stamp == stamp:
            return kept
        body = path.read_bytes()
        packed = gzip.compress(body, compresslevel=9, mtime=0) if len(body) >= GZIP_MIN_BYTES else None
        media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if media_type.startswith("text/") or media_type == "application/javascript":
            media_type += "; charset=utf-8"
        kept = _File(
            stamp,
            body,
            packed if packed is not None and len(packed) < len(body) else None,
            '"' + hashlib.sha256(body).hexdigest()[:32] + '"',
            media_type,
        )
        with self._lock:
            self._files[name] = kept
        return kept

    def response(
        self, name: str, request: Request, cache_control: str, extra: Mapping[str, str] | None = None
    ) -> Response:
        """``name`` as an HTTP answer: 304 when the client holds it, gzip when it takes gzip;
        ``extra`` headers beside the caching ones."""
        f = self._load(name)
        headers = {
            "Cache-Control": cache_control,
            "ETag": f.etag,
            "Vary": "Accept-Encoding",
            "X-Content-Type-Options": "nosniff",
            **(extra or {}),
        }
        if request.headers.get("if-none-match") == f.etag:
            return Response(status_code=304, headers=headers)
        body = f.body
        if f.gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
            body = f.gzipped
            headers["Content-Encoding"] = "gzip"
        return Response(body, media_type=f.media_type, headers=headers)


AssetName = Annotated[str, PathParam(pattern=ASSET_NAME)]


def public_rpc_url(web_rpc_url: str, chain_rpc_url: str) -> str | None:
    """The chain RPC URL the web app may be given: ``web.rpc_url`` when set; else the node's
    own when it carries no secret (an http(s) URL of nothing but host and port: no userinfo,
    path, query or fragment, where an API key could be); else none."""
    if web_rpc_url:
        return web_rpc_url
    plain = chain_rpc_url.strip().rstrip("/")
    try:
        parts = urlsplit(plain)
        parts.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError:
        return None
    hidden = (parts.username, parts.password, parts.path, parts.query, parts.fragment)
    return plain if parts.scheme in ("http", "https") and parts.hostname and not any(hidden) else None


def install(app: FastAPI, web: WebSettings, rpc_url: str | None = None) -> None:
    """Serve the web app at ``/`` (and ``/assets/<name>``) and Swagger UI at ``/docs``;
    ``rpc_url`` is the chain RPC URL the app is given (its page may connect to it)."""
    page_headers = {
        k: v.format(rpc=f" {redact_url(rpc_url)}" if rpc_url else "") for k, v in PAGE_HEADERS.items()
    }
    dist = Shelf(web.dist_dir)
    assets = Shelf(web.dist_dir / "assets")
    swagger = Shelf(web.swagger_dir, only=SWAGGER_FILES)

    @app.get("/", include_in_schema=False)
    def web_app(request: Request) -> Response:
        if not dist.has("index.html"):
            return HTMLResponse(NOT_BUILT.format(where=web.dist_dir), status_code=503)
        return dist.response("index.html", request, REVALIDATE, page_headers)

    @app.get("/assets/{name}", include_in_schema=False)
    def web_asset(name: AssetName, request: Request) -> Response:
        return assets.response(name, request, IMMUTABLE)

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title}: API",
            swagger_js_url="/docs/files/swagger-ui-bundle.js",
            swagger_css_url="/docs/files/swagger-ui.css",
            swagger_favicon_url="/docs/files/favicon-32x32.png",
        )

    @app.get("/docs/files/{name}", include_in_schema=False)
    def swagger_file(name: AssetName, request: Request) -> Response:
        return swagger.response(name, request, SWAGGER_CACHE)
