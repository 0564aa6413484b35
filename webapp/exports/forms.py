from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectMultipleField, SubmitField
from wtforms.validators import DataRequired, Optional

from linkages.codes import county_names


class ExportForm(FlaskForm):
    counties = SelectMultipleField("Counties", coerce=int, validators=[Optional()])
    start = DateField("First day of the period", validators=[DataRequired("Enter a date")])
    end = DateField("Last day of the period", validators=[DataRequired("Enter a date")])
    submit = SubmitField("Make the export")

    def __init__(self, *args: object, counties: list[int] | None = None,
                 **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        names = county_names()
        self.counties.choices = [SelectChoice(c, f"{c} {names[c]}")
                                 for c in (counties if counties is not None else sorted(names))]
