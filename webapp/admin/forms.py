from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    PasswordField,
    SearchField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from linkages.codes import county_names
from linkages.models.enums import Program, Role

PROGRAM_LABELS = {"": "Set by the role (both programs for a program manager)",
                  Program.CWS.value: "Child Welfare Services",
                  Program.CALWORKS.value: "CalWORKs / Welfare-to-Work"}


def _county_choices(counties: list[int] | None) -> list[SelectChoice]:
    """Every county and statewide, or only the counties given (a county's administrator)."""
    names = county_names()
    if counties is not None:
        return [SelectChoice(str(c), f"{c} {names[c]}") for c in counties]
    return [SelectChoice("", "Statewide (evaluators and administrators only)"),
            *(SelectChoice(str(c), f"{c} {n}") for c, n in sorted(names.items()))]


class AccountForm(FlaskForm):
    display_name = StringField("Name shown in the app",
                               validators=[DataRequired("Enter a name"), Length(max=120)])
    role = SelectField("Role", choices=[SelectChoice(r.value, r.label) for r in Role],
                       validators=[DataRequired()])
    program = SelectField("Program",
                          choices=[SelectChoice(v, label) for v, label in PROGRAM_LABELS.items()],
                          validators=[Optional()])
    county = SelectField("County", validators=[Optional()])

    def __init__(self, *args: object, counties: list[int] | None = None,
                 **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.county.choices = _county_choices(counties)

    @property
    def role_value(self) -> Role:
        return Role(self.role.data)

    @property
    def program_value(self) -> Program | None:
        return Program(self.program.data) if self.program.data else None

    @property
    def county_value(self) -> int | None:
        return int(self.county.data) if self.county.data else None


def _new_password(label: str) -> tuple[PasswordField, PasswordField]:
    """A new password and its confirmation (the service checks its length and content)."""
    return (PasswordField(label, validators=[DataRequired("Enter a password"), Length(max=256)],
                          render_kw={"autocomplete": "new-password"}),
            PasswordField(f"{label} again",
                          validators=[EqualTo("password", "The passwords are not the same")],
                          render_kw={"autocomplete": "new-password"}))


class NewAccountForm(AccountForm):
    username = StringField("Username", validators=[DataRequired("Enter a username"),
                                                   Length(max=80)],
                           render_kw={"autocapitalize": "none", "spellcheck": "false",
                                      "autocomplete": "off"})
    password, confirm = _new_password("Password")
    submit = SubmitField("Create the account")


class EditAccountForm(AccountForm):
    submit = SubmitField("Save changes")


class PasswordForm(FlaskForm):
    password, confirm = _new_password("New password")
    submit = SubmitField("Set the new password")


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField("Username or name", validators=[Optional(), Length(max=80)])
    submit = SubmitField("Search")
