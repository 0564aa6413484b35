"""``linkages serve``: the web app on a production WSGI server (waitress), or on Flask's
development server with ``--debug``."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import click
from werkzeug.serving import WSGIRequestHandler

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
access_log = logging.getLogger("linkages.access")


class PathOnlyAccessLog:
    """WSGI middleware that logs one line per request: method, path, status and size, without
    the query string (searches carry family names, and names do not belong in logs)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        seen: dict[str, str] = {}

        def remember(status: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
            seen["status"] = status.split(" ", 1)[0]
            seen["size"] = next((v for k, v in headers if k.lower() == "content-length"), "-")
            return start_response(status, headers, *exc)

        body = self.app(environ, remember)
        access_log.info('%s "%s %s" %s %s', environ.get("REMOTE_ADDR", "-"),
                        environ.get("REQUEST_METHOD", "-"), environ.get("PATH_INFO", ""),
                        seen.get("status", "-"), seen.get("size", "-"))
        return body


class _PathOnlyRequestHandler(WSGIRequestHandler):
    """The development server's log, also without query strings. A request line too long or
    malformed to parse has no path: it is answered 414 or 400 by the server and logged so."""

    server_version = "Linkages"  # no Werkzeug or Python version in the Server header
    sys_version = ""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = urlsplit(getattr(self, "path", "") or "").path
        self.log("info", '"%s %s" %s %s', getattr(self, "command", None) or "-", path, code,
                 size)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Keep 127.0.0.1 unless a reverse proxy on another "
                   "host must reach it.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64),
              help="Requests served at once.")
@click.option("--insecure-local", is_flag=True,
              help="Plain HTTP on this machine only (demo, training, tests): session cookies "
                   "without the Secure flag. Refused with a --host other than loopback.")
@click.option("--debug", is_flag=True,
              help="Flask's development server, reloading on code changes (never for real "
                   "data).")
def serve(host: str, port: int, threads: int, insecure_local: bool, debug: bool) -> None:
    """Serve the Linkages web app on waitress, a production WSGI server.

    A county serves it behind HTTPS (a reverse proxy in front, `proxy_hops` in
    config/webapp.yaml), with LINKAGES_SECRET_KEY and LINKAGES_DATABASE_URL set; session
    cookies are Secure and HSTS is sent. It refuses to start with insecure cookies unless
    --insecure-local says this is one machine's own plain-HTTP copy. Any other production WSGI
    server (gunicorn, uWSGI, mod_wsgi) can run webapp.wsgi:app, which holds to the same rule."""
    from linkages.db import get_engine, schema_ready
    from webapp import create_app
    from webapp.settings import SettingsError

    if insecure_local and host not in LOOPBACK:
        raise click.UsageError(f"--insecure-local serves plain HTTP to this machine only, not to "
                               f"{host}: put the app behind HTTPS instead")
    try:
        app = create_app({"SESSION_COOKIE_SECURE": False} if insecure_local else None)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    if not app.config["SESSION_COOKIE_SECURE"] and not insecure_local:
        raise click.ClickException(
            "refusing to serve with insecure session cookies: serve behind HTTPS with "
            "LINKAGES_SESSION_COOKIE_SECURE=true (or cookie_secure: true in "
            "config/webapp.yaml), or give --insecure-local for plain HTTP on this machine only")
    if not schema_ready(get_engine(app.config["DATABASE_URL"])):
        raise click.ClickException(
            "the database has no Linkages schema yet: run `linkages db upgrade` first"
        )
    if host not in LOOPBACK:
        click.echo(f"warning: listening on {host}, reachable from other machines; serve "
                   "personal data only over HTTPS", err=True)
    if debug:
        from werkzeug.serving import run_simple

        # Never the interactive debugger: it runs code typed into a browser.
        run_simple(host, port, app, threaded=True, use_reloader=True, use_debugger=False,
                   request_handler=_PathOnlyRequestHandler)
        return

    import waitress

    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(message)s")
    click.echo(f"Linkages on http://{host}:{port}/ (waitress, {threads} threads)", err=True)
    # ident="": no Server header naming the software. A request head over 256 KiB is answered
    # 431 by waitress itself; a request target over 8 KiB gets 414 from the app's middleware.
    waitress.serve(PathOnlyAccessLog(app), host=host, port=port, threads=threads, ident="",
                   max_request_header_size=256 * 1024, clear_untrusted_proxy_headers=True,
                   _quiet=True)
