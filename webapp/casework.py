"""What the co-case-management blueprints share: form pieces (enum choices, the row version a
form began from) and the two ways a service refuses a change, put back on the form (P4, P7)."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from typing import Any

from flask import Blueprint, request
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, SelectChoice, SelectMultipleField, widgets

from linkages.services import workspace
from linkages.services.workspace import Conflict, InvalidInput


def options(pairs: Iterable[tuple[Any, str]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def choices(enum_cls: Iterable[enum.Enum], blank: str | None = None) -> list[SelectChoice]:
    out = [("", blank)] if blank is not None else []
    return options(out + [(m.value, getattr(m, "label", str(m.value))) for m in enum_cls])


def as_enum(enum_cls: type[enum.Enum]) -> Callable[[Any], Any]:
    """A coerce for SelectField: the member, or None for the blank choice."""
    def coerce(value: Any) -> Any:
        if value is None or value == "" or isinstance(value, enum_cls):
            return value or None
        return enum_cls(value)
    return coerce


def optional_int(value: Any) -> int | None:
    if value in (None, "", "None"):
        return None
    return int(value)


class CheckboxesField(SelectMultipleField):
    """A set of checkboxes (programs covered, team members named)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class VersionedForm(FlaskForm):
    """A form that edits a row: it carries the row version it began from."""

    row_version = HiddenField()

    @property
    def version(self) -> int | None:
        value = self.row_version.data
        return int(value) if value and str(value).isdigit() else None


def field_error(form: FlaskForm, exc: InvalidInput, *aliases: str) -> None:
    """Put a service's refusal beside the field it names (or at the top of the form)."""
    for name in (exc.field, *aliases):
        field: Field | None = form._fields.get(name)
        if field is not None and name != "row_version":
            # WTForms keeps errors as a tuple until validation ran on the field.
            field.errors = [*field.errors, exc.message]
            return
    form.form_errors.append(exc.message)


def conflict(form: FlaskForm, exc: Conflict, current_version: int | None = None) -> None:
    """The second save of the same row: say so above the form, keep her input, and let her
    next save start from the version she has now been shown."""
    form.form_errors.append(str(exc))
    if current_version is not None and "row_version" in form._fields:
        form.row_version.data = str(current_version)


def scoped(bp: Blueprint) -> Blueprint:
    """Every form POST of ``bp`` about a family checks the family's scope first (a service
    call), so an out-of-scope family is a 404 before any form is read, whatever the form
    holds. (Every GET view opens the workspace, whose first query is the same scope check.)
    Signed-out requests go on to login_required, which sends them to sign in."""
    from webapp.db import get_db
    from webapp.security import client_ip, current_actor

    @bp.before_request
    def _family_in_scope() -> None:
        family_id = (request.view_args or {}).get("family_id")
        if request.method == "GET" or family_id is None or not current_user.is_authenticated:
            return
        workspace.check_scope(get_db(), current_actor(), int(family_id), ip=client_ip())

    return bp
