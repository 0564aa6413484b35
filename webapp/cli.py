"""``linkages serve``: the web app on this machine."""

from __future__ import annotations

from urllib.parse import urlsplit

import click
from werkzeug.serving import WSGIRequestHandler


class _PathOnlyRequestHandler(WSGIRequestHandler):
    """Logs the path without its query string: searches carry family names, and names do not
    belong in logs."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = urlsplit(self.path).path
        self.log("info", '"%s %s" %s %s', self.command, path, code, size)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Keep 127.0.0.1 unless a reverse proxy on another "
                   "host must reach it.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
def serve(host: str, port: int) -> None:
    """Serve the Linkages web app with Werkzeug's built-in server (for one machine, training and
    tests). A county deployment is the county's choice of production WSGI server (gunicorn,
    uWSGI, mod_wsgi…) running webapp.wsgi:app behind HTTPS, with LINKAGES_SECRET_KEY,
    LINKAGES_DATABASE_URL and LINKAGES_SESSION_COOKIE_SECURE=true set."""
    from werkzeug.serving import run_simple

    from linkages.db import get_engine, schema_ready
    from webapp import create_app
    from webapp.settings import SettingsError

    try:
        app = create_app()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    if not schema_ready(get_engine(app.config["DATABASE_URL"])):
        raise click.ClickException(
            "the database has no Linkages schema yet: run `linkages db upgrade` first"
        )
    if host not in {"127.0.0.1", "localhost", "::1"}:
        click.echo(f"warning: listening on {host}, reachable from other machines; serve "
                   "personal data only over HTTPS", err=True)
    run_simple(host, port, app, threaded=True, request_handler=_PathOnlyRequestHandler)
