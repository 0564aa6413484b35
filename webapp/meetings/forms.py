from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from linkages.models.enums import (
    MeetingType,
    ParticipationMethod,
    PlanProgram,
    TeamRole,
    WorkStatus,
)
from webapp.casework import VersionedForm, as_enum, choices, optional_int

WHEN = "%Y-%m-%dT%H:%M"


class ScheduleForm(VersionedForm):
    meeting_type = SelectField("Type of meeting", choices=choices(MeetingType),
                               coerce=as_enum(MeetingType))
    scheduled_at = DateTimeLocalField("Date and time", format=WHEN, validators=[
        InputRequired(message="Enter the date and time")])
    location = StringField("Where", validators=[Optional(), Length(max=200)])
    method = SelectField("How the team meets", choices=choices(ParticipationMethod, "—"),
                         coerce=as_enum(ParticipationMethod), validators=[Optional()])
    submit = SubmitField("Schedule meeting")


class DetailsForm(VersionedForm):
    held_at = DateTimeLocalField("Held on", format=WHEN, validators=[
        InputRequired(message="Enter when the meeting was held")])
    language = StringField("Family's language", validators=[Optional(), Length(max=60)])
    interpreter = BooleanField("An interpreter took part")
    confidentiality_reviewed = BooleanField("Confidentiality was reviewed with everyone present")
    strengths = TextAreaField("Family's strengths", validators=[Optional(), Length(max=5000)])
    needs = TextAreaField("Needs", validators=[Optional(), Length(max=5000)])
    safety_concerns = TextAreaField("Safety concerns", validators=[Optional(), Length(max=5000)])
    options_considered = TextAreaField("Options considered",
                                       validators=[Optional(), Length(max=5000)])
    decisions = TextAreaField("Decisions", validators=[Optional(), Length(max=5000)])
    next_meeting_on = DateField("Next meeting", validators=[Optional()])
    submit = SubmitField("Save and continue")


class ParticipantForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(message="Enter the participant's name"),
                                           Length(max=120)])
    team_role = SelectField("Role", choices=choices(TeamRole), coerce=as_enum(TeamRole))
    invited = BooleanField("Invited", default=True)
    attended = BooleanField("Attended")
    method = SelectField("How they took part", choices=choices(ParticipationMethod, "—"),
                         coerce=as_enum(ParticipationMethod), validators=[Optional()])
    submit = SubmitField("Add participant")


class ActionForm(FlaskForm):
    description = TextAreaField("What is to be done", validators=[
        DataRequired(message="Say what is to be done"), Length(max=2000)])
    responsible = StringField("Owner", validators=[DataRequired(message="Enter who will do it"),
                                                   Length(max=120)])
    responsible_program = SelectField("Program", choices=choices(PlanProgram),
                                      coerce=as_enum(PlanProgram))
    due_on = DateField("Due", validators=[InputRequired(message="Enter the due date")])
    status = SelectField("Status", choices=choices(WorkStatus), coerce=as_enum(WorkStatus))
    activity_id = SelectField("Plan activity", coerce=optional_int, choices=[],
                              validators=[Optional()])
    submit = SubmitField("Add action item")


class CancelForm(VersionedForm):
    reason = StringField("Why it is cancelled", validators=[
        DataRequired(message="Say why the meeting is cancelled"), Length(max=500)])
    submit = SubmitField("Cancel meeting")


class SubmitRecordForm(VersionedForm):
    submit = SubmitField("Submit the record")


class ActionStatusForm(FlaskForm):
    status = SelectField("Status", choices=choices(WorkStatus), coerce=as_enum(WorkStatus))
    expected = HiddenField()
    submit = SubmitField("Update")
