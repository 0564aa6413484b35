"""The clerical review queue: reviewers confirm, reject or skip the uncertain pairs of the
latest match run; `linkages match` obeys their decisions on its next run."""

from flask import Blueprint

bp = Blueprint("review", __name__)

from webapp.review import routes  # noqa: E402, F401 - registers the views on bp
