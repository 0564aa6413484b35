from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from linkages.services.audit_log import AuditFilter, known_actions


class AuditFilterForm(FlaskForm):
    """A GET form (a filtered view can be bookmarked); it changes nothing, so no CSRF token."""

    class Meta:
        csrf = False

    user = StringField("User (username)", validators=[Optional(), Length(max=80)],
                       render_kw={"autocapitalize": "none", "spellcheck": "false"})
    family = IntegerField("Family number", validators=[Optional(), NumberRange(1, 2**31 - 1)])
    action = SelectField("Action", validators=[Optional()])
    start = DateField("From (UTC day)", validators=[Optional()])
    end = DateField("To (UTC day)", validators=[Optional()])
    submit = SubmitField("Filter")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.action.choices = [SelectChoice("", "Any action"),
                               *(SelectChoice(a, a) for a in known_actions())]

    def validate_end(self, field: DateField) -> None:
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError("must be on or after the From day")

    def to_filter(self) -> AuditFilter:
        return AuditFilter(username=(self.user.data or "").strip().lower() or None,
                           family_id=self.family.data, action=self.action.data or None,
                           start=self.start.data, end=self.end.data)
