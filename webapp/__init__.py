"""The Linkages web app: a thin Flask layer over ``linkages.services``.

One blueprint per area. Now: ``auth`` (sign in, second factor, sign out), ``families`` (the
mutual families list and detail), ``account`` (the user's own two-factor settings), ``admin``
(user administration), ``audit`` (the audit log viewer) and ``exports`` (evaluators'
de-identified cohort exports). The co-case-management areas follow the same shape, each a package
One blueprint per area: ``auth`` (sign in and out), ``families`` (the mutual families list),
``dashboard`` (My families, the landing page) and the family workspace: ``workspace``
(overview, members, team, consent, notes, history), ``meetings``, ``plans`` and
``resources`` (shared-resource services). Further areas follow the same shape, each a package
``webapp/<area>/`` with ``__init__.py`` (the blueprint), ``routes.py`` (parse the request, call
a service, render or redirect) and ``forms.py`` (WTForms), templates in
``webapp/templates/<area>/``: review, reports, exports, admin.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, redirect, url_for
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter
from werkzeug.wrappers import Response

from linkages.services.scope import Permission
from webapp import db, errors, security, settings

# Ids in URLs are database integers: PostgreSQL's INTEGER holds 2**31 - 1.
MAX_RECORD_ID = 2**31 - 1
# Longer request targets are answered 414 before the app sees them.
MAX_URL_LENGTH = 8 * 1024


class RecordIdConverter(IntegerConverter):
    """``<int:...>`` in every route: ASCII digits only (``/families/４`` is not family 4) and
    no larger than a database id can be, so an absurd id is a 404, never a 500."""

    regex = r"[0-9]{1,10}"

    def __init__(self, url_map: Any, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = None, signed: bool = False) -> None:
        super().__init__(url_map, fixed_digits, min, MAX_RECORD_ID if max is None else max,
                         signed)


class _BoundedUrls:
    """WSGI middleware: a request target over MAX_URL_LENGTH gets 414 (URI Too Long)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        length = len(environ.get("PATH_INFO", "")) + len(environ.get("QUERY_STRING", ""))
        if length > MAX_URL_LENGTH:
            start_response("414 URI Too Long", [("Content-Type", "text/plain; charset=utf-8"),
                                                ("Cache-Control", "no-store")])
            return [b"URI Too Long\n"]
        return self.app(environ, start_response)


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(settings.load(overrides))
    app.url_map.converters["int"] = RecordIdConverter
    app.wsgi_app = _BoundedUrls(app.wsgi_app)  # type: ignore[method-assign]
    if app.config["PROXY_HOPS"]:
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    db.init_app(app)
    security.init_app(app)
    errors.init_app(app)

    from webapp.account import bp as account_bp
    from webapp.admin import bp as admin_bp
    from webapp.audit import bp as audit_bp
    from webapp.auth import bp as auth_bp
    from webapp.dashboard import bp as dashboard_bp
    from webapp.exports import bp as exports_bp
    from webapp.families import bp as families_bp
    from webapp.meetings import bp as meetings_bp
    from webapp.plans import bp as plans_bp
    from webapp.reports import bp as reports_bp
    from webapp.resources import bp as resources_bp
    from webapp.review import bp as review_bp
    from webapp.workspace import bp as workspace_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(families_bp, url_prefix="/families")
    app.register_blueprint(account_bp, url_prefix="/account")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(audit_bp, url_prefix="/audit")
    app.register_blueprint(exports_bp, url_prefix="/exports")
    app.register_blueprint(dashboard_bp, url_prefix="/my")
    app.register_blueprint(reports_bp, url_prefix="/reports")
    app.register_blueprint(review_bp, url_prefix="/review")
    # The family workspace: its sections, each under /families/<id>/.
    app.register_blueprint(workspace_bp, url_prefix="/families")
    app.register_blueprint(meetings_bp, url_prefix="/families/<int:family_id>/meetings")
    app.register_blueprint(plans_bp, url_prefix="/families/<int:family_id>/plan")
    app.register_blueprint(resources_bp, url_prefix="/families/<int:family_id>/services")

    @app.get("/")
    def index() -> Response:
        """The landing page: My families for the family's workers, supervisors and managers;
        the list of mutual families for the others."""
        if current_user.is_authenticated:
            if current_user.actor.can(Permission.VIEW_CASEWORK):
                return redirect(url_for("dashboard.index"))
            return redirect(url_for("families.index"))
        return redirect(url_for("auth.login"))

    return app
