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

