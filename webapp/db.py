"""One SQLAlchemy session per request: opened on first use, committed before the response
leaves (so a failed audit write fails the request instead of vanishing), closed on teardown.
A request that fails (5xx) is rolled back, but its audit events are written all the same."""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, g
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from linkages.db import session_factory
from linkages.services import audit

log = logging.getLogger(__name__)


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
                try:
                    audit.keep_after_failure(db, str(response.status_code))
                except SQLAlchemyError as exc:  # the database itself is what failed
                    db.rollback()
                    log.error("audit events of a failed request could not be written: %s",
                              exc.__class__.__name__)
        return response

    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        db: Session | None = g.pop("db", None)
        if db is not None:
            db.close()  # rolls back whatever was not committed
