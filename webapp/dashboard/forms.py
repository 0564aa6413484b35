from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField, SubmitField
from wtforms.validators import Length, Optional

from linkages.services.dashboard import Show, Sort
from webapp.casework import choices


class DashboardForm(FlaskForm):
    """A GET form (a view can be bookmarked); it changes nothing, so no CSRF token."""

    class Meta:
        csrf = False

    q = SearchField("Family name", validators=[Optional(), Length(max=100)])
    show = SelectField("Show", choices=choices(Show), validators=[Optional()])
    sort = SelectField("Sort by", choices=choices(Sort), validators=[Optional()])
    submit = SubmitField("Apply")
