from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SearchField, SelectChoice, SelectField, SubmitField
from wtforms.validators import Length, Optional

from linkages.models.enums import FamilyStatus

STATUS_LABELS: dict[FamilyStatus, str] = {
    FamilyStatus.IDENTIFIED: "Identified",
    FamilyStatus.ACTIVE: "Active (co-case-managed)",
    FamilyStatus.CLOSED: "Closed",
    FamilyStatus.NO_LONGER_MATCHED: "No longer matched",
}


class FamilyFilterForm(FlaskForm):
    """A GET form (search results can be bookmarked); it changes nothing, so no CSRF token."""

    class Meta:
        csrf = False

    q = SearchField("Family name or case number", validators=[Optional(), Length(max=100)])
    status = SelectField(
        "Status",
        choices=[SelectChoice("", "Any status"),
                 *(SelectChoice(s.value, label) for s, label in STATUS_LABELS.items())],
        validators=[Optional()],
    )
    submit = SubmitField("Filter")
