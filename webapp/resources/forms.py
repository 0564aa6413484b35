from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from linkages.models.enums import FundSource, ServiceCategory
from webapp.casework import as_enum, choices, optional_int, options


class ServiceForm(FlaskForm):
    category = SelectField("Category", choices=choices(ServiceCategory),
                           coerce=as_enum(ServiceCategory))
    fund_source = SelectField("Fund source", choices=choices(FundSource),
                              coerce=as_enum(FundSource))
    # No `places` rounding on input: the service refuses fractions of a cent instead.
    amount = DecimalField("Amount ($)", validators=[InputRequired(message="Enter the amount")])
    units = StringField("Units", validators=[Optional(), Length(max=60)])
    vendor = StringField("Vendor", validators=[Optional(), Length(max=200)])
    description = TextAreaField("What it is for", validators=[Optional(), Length(max=2000)])
    period_start = DateField("From", validators=[InputRequired(message="Enter the start")])
    period_end = DateField("To", validators=[InputRequired(message="Enter the end")])
    activity_id = SelectField("Plan activity", coerce=optional_int, choices=[],
                              validators=[Optional()])
    submit = SubmitField("Request service")


class DecideForm(FlaskForm):
    decision = SelectField("Decision", choices=options([("approve", "Approve"),
                                                              ("deny", "Deny")]))
    reason = StringField("Reason", validators=[Optional(), Length(max=1000)])
    submit = SubmitField("Record decision")


class CloseForm(FlaskForm):
    outcome = SelectField("Outcome", choices=options([("delivered", "Delivered"),
                                                      ("cancelled", "Cancelled")]))
    closed_on = DateField("Date", validators=[InputRequired(message="Enter the date")])
    note = StringField("Note", validators=[Optional(), Length(max=1000)])
    submit = SubmitField("Record outcome")
