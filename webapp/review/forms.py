from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import Length

from linkages.services.review import REASON_MAX


class DecisionForm(FlaskForm):
    """Confirm, reject or skip; the button pressed is the decision. ``seen`` is the decision the
    reviewer was shown when the page opened (empty: none)."""

    reason = StringField("Reason", validators=[Length(max=REASON_MAX)])
    seen = HiddenField()
