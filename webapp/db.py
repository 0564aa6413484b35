"""One SQLAlchemy session per request: opened on first use, committed before the response
leaves (so a failed audit write fails the request instead of vanishing), closed on teardown."""

from __future__ import annotations

from flask import Flask, Response, current_app, g
from sqlalchemy.orm import Session

from linkages.db import session_factory


def get_db() -> Session:
    if "db" not in g:
        g.db = session_factory(current_app.config["DATABASE_URL"])()
    return g.db


def init_app(app: Flask) -> None:
    @app.after_request
    def _commit(response: Response) -> Response:
        db: Session | None = g.get("db")
        if db is not None:
            if response.status_code < 500:
                # Audit events of refused requests (404 for an out-of-scope family) are kept.
                db.commit()
            else:
                db.rollback()
        return response

    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        db: Session | None = g.pop("db", None)
        if db is not None:
            db.close()  # rolls back whatever was not committed
