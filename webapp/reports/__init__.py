"""Program managers' reports: match rates (seed 004) with their trend, outcomes for matched
and other children, the county data profile for the SIP (seed 003), and process metrics.
Each page reads the snapshots `linkages reports build` made; the service masks and audits."""

from flask import Blueprint

bp = Blueprint("reports", __name__)

from webapp.reports import routes  # noqa: E402, F401 - registers the views on bp
