"""Evaluators' de-identified linked-cohort exports: request one, see its manifest, download
its files until the links expire."""

from flask import Blueprint

bp = Blueprint("exports", __name__)

from webapp.exports import routes  # noqa: E402, F401 - registers the views on bp
