"""The Linkages web app: a thin Flask layer over ``linkages.services``.

One blueprint per area. Now: ``auth`` (sign in and out) and ``families`` (the mutual families
list and detail). The co-case-management areas follow the same shape, each a package
``webapp/<area>/`` with ``__init__.py`` (the blueprint), ``routes.py`` (parse the request, call
a service, render or redirect) and ``forms.py`` (WTForms), templates in
``webapp/templates/<area>/``: meetings, plans, services, review, reports, exports, admin.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, redirect, url_for
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from webapp import db, errors, security, settings


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(settings.load(overrides))
    if app.config["PROXY_HOPS"]:
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    db.init_app(app)
    security.init_app(app)
    errors.init_app(app)

    from webapp.auth import bp as auth_bp
    from webapp.families import bp as families_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(families_bp, url_prefix="/families")

    @app.get("/")
    def index() -> Response:
        if current_user.is_authenticated:
            return redirect(url_for("families.index"))
        return redirect(url_for("auth.login"))

    return app
