from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length


class SignInForm(FlaskForm):
    username = StringField(
        "Username", validators=[DataRequired(), Length(max=80)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Sign in")


class CodeForm(FlaskForm):
    """A second-factor code: six digits from the authenticator app, or a recovery code."""

    code = StringField(
        "Security code", validators=[DataRequired("Enter the code"), Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "none",
                   "spellcheck": "false", "inputmode": "text"},
    )
    submit = SubmitField("Continue")


class SetUpCodeForm(CodeForm):
    submit = SubmitField("Turn on two-factor sign-in")

