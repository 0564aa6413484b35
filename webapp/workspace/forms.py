from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from linkages.models.enums import ContactType, LegalBasis, Program, SignerRelationship
from webapp.casework import CheckboxesField, VersionedForm, as_enum, choices, options


class ConsentForm(FlaskForm):
    signer_name = StringField("Signed by", validators=[DataRequired(message="Enter the name of "
                              "the person who signed"), Length(max=120)])
    signer_relationship = SelectField("Signer's relationship to the family",
                                      choices=choices(SignerRelationship),
                                      coerce=as_enum(SignerRelationship))
    legal_basis = SelectField("Legal basis", choices=choices(LegalBasis),
                              coerce=as_enum(LegalBasis))
    programs = CheckboxesField("Whose information it releases to the team",
                               choices=options((p.value, f"{p.label} information")
                                               for p in Program))
    recipients = CheckboxesField("Team members it names", coerce=int, choices=[])
    other_members = TextAreaField("Other team members it covers (outside the app)",
                                  validators=[Optional(), Length(max=2000)])
    purpose = TextAreaField("Purpose", validators=[DataRequired(message="Enter the purpose"),
                                                   Length(max=2000)])
    restrictions = TextAreaField("Restrictions the signer set",
                                 validators=[Optional(), Length(max=2000)])
    signed_on = DateField("Date signed", validators=[InputRequired(message="Enter the date "
                                                                   "signed")])
    expires_on = DateField("Expires on", validators=[Optional()])
    document_note = TextAreaField("Signed document", validators=[Optional(), Length(max=2000)])
    submit = SubmitField("Record consent")


class RevokeForm(VersionedForm):
    revoked_on = DateField("Revoked on", validators=[InputRequired(message="Enter the date")])
    note = StringField("How the signer withdrew it", validators=[
        DataRequired(message="Say how the signer withdrew the consent"), Length(max=500)])
    submit = SubmitField("Record revocation")


class NoteForm(FlaskForm):
    contact_on = DateField("Date of contact", validators=[InputRequired(message="Enter the "
                                                                        "date")])
    contact_type = SelectField("Type of contact", choices=choices(ContactType),
                               coerce=as_enum(ContactType))
    participants = StringField("Who took part", validators=[Optional(), Length(max=500)])
    summary = TextAreaField("Summary", validators=[DataRequired(message="Write what happened"),
                                                   Length(max=10_000)])
    exchanged_with_other_program = BooleanField("Information was exchanged with the other "
                                                "program")
    submit = SubmitField("Add note")


class AssignForm(FlaskForm):
    worker = SelectField("Worker", coerce=int, choices=[],
                         validators=[InputRequired(message="Choose a worker")])
    submit = SubmitField("Assign")
