"""Error pages. A family outside the user's scope is "not found" (404), never "forbidden", so
that its existence does not leak; 403 is for an action the user's role cannot take at all."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from linkages.services.scope import NotFound, PermissionDenied


def _page(template: str, status: int) -> tuple[str, int]:
    return render_template(template), status


def init_app(app: Flask) -> None:
    @app.errorhandler(NotFound)
    @app.errorhandler(404)
    def not_found(_exc: Exception) -> tuple[str, int]:
        return _page("errors/404.html", 404)

    @app.errorhandler(PermissionDenied)
    @app.errorhandler(403)
    def forbidden(_exc: Exception) -> tuple[str, int]:
        return _page("errors/403.html", 403)

    @app.errorhandler(CSRFError)
    def csrf_failed(_exc: CSRFError) -> tuple[str, int]:
        return _page("errors/csrf.html", 400)

    @app.errorhandler(HTTPException)
    def other_http(exc: HTTPException) -> tuple[str, int]:
        return render_template("errors/http.html", error=exc), exc.code or 500

    @app.errorhandler(500)
    def server_error(_exc: Exception) -> tuple[str, int]:
        # Stand-alone page: it must render even when the database is what failed.
        return _page("errors/500.html", 500)
