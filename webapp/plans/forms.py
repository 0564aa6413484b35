from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from linkages.models.enums import AcknowledgementParty, ActivityCategory, PlanProgram, WorkStatus
from webapp.casework import VersionedForm, as_enum, choices, options


class PlanForm(VersionedForm):
    family_goal = TextAreaField("Family goal", validators=[
        DataRequired(message="Enter the family's goal"), Length(max=4000)])
    cws_case_plan_ref = StringField("CWS case plan (reference)",
                                    validators=[Optional(), Length(max=80)])
    wtw_plan_ref = StringField("WtW plan, WTW 2 (reference)",
                               validators=[Optional(), Length(max=80)])
    effective_from = DateField("In effect from", validators=[Optional()])
    next_review_on = DateField("Next review", validators=[Optional()])
    submit = SubmitField("Save plan")


class GoalForm(FlaskForm):
    description = TextAreaField("Objective", validators=[
        DataRequired(message="Describe the objective"), Length(max=2000)])
    program = SelectField("Program", choices=choices(PlanProgram), coerce=as_enum(PlanProgram))
    target_date = DateField("Target date", validators=[Optional()])
    submit = SubmitField("Add objective")


class ActivityForm(VersionedForm):
    goal_id = SelectField("Objective", coerce=int, choices=[])
    description = TextAreaField("Activity", validators=[
        DataRequired(message="Describe the activity"), Length(max=2000)])
    category = SelectField("Kind", choices=choices(ActivityCategory),
                           coerce=as_enum(ActivityCategory))
    program = SelectField("Program of record", choices=options([
        (PlanProgram.CWS.value, "CWS case plan"), (PlanProgram.WTW.value, "WtW plan"),
        (PlanProgram.SHARED.value, "Both")]), coerce=as_enum(PlanProgram))
    provider = StringField("Provider", validators=[Optional(), Length(max=200)])
    start_date = DateField("Starts", validators=[Optional()])
    end_date = DateField("Ends", validators=[Optional()])
    status = SelectField("Status", choices=choices(WorkStatus), coerce=as_enum(WorkStatus))
    court_ordered = BooleanField("Court-ordered")
    counts_toward_wtw = BooleanField("Counts toward WtW participation")
    hours_per_week = DecimalField("Hours a week", places=1, validators=[
        Optional(), NumberRange(min=0, max=60, message="Enter between 0 and 60 hours")])
    submit = SubmitField("Save activity")


class MoveForm(FlaskForm):
    comment = TextAreaField("Comment", validators=[Optional(), Length(max=4000)])
    submit = SubmitField("Send")


class AcknowledgeForm(FlaskForm):
    party = SelectField("Who acknowledges", choices=choices(AcknowledgementParty),
                        coerce=as_enum(AcknowledgementParty))
    name = StringField("Parent's name as signed", validators=[Optional(), Length(max=120)])
    acknowledged_on = DateField("Date", validators=[InputRequired(message="Enter the date")])
    submit = SubmitField("Record acknowledgement")
