"""Contact notes: date, program, type, participants, summary, and whether information was
exchanged with the other program (the CFPIC "triggers for exchange").

A note belongs to its author's program: the other program's staff read it only while a
consent releases that program's information (one WHERE clause, P3). Notes are records of what
happened: a correction is a later note, never an edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from linkages.models import ContactNote, User
from linkages.models.enums import ContactType, Program
from linkages.services import audit
from linkages.services.audit import AuditAction
from linkages.services.scope import Actor, Permission
from linkages.services.workspace import (
    InvalidInput,
    Section,
    Workspace,
    for_change,
    gate,
    program_gate,
    require_program_staff,
    snapshot,
)
from linkages.services.workspace import open as open_workspace

PAGE = 25
OLDEST = timedelta(days=366)


@dataclass(frozen=True, slots=True)
class NoteInput:
    contact_on: date
    contact_type: ContactType
    summary: str
    participants: str = ""
    exchanged_with_other_program: bool = False


@dataclass(frozen=True, slots=True)
class NoteView:
    id: int
    contact_on: date
    program: Program
    contact_type: ContactType
    participants: str | None
    summary: str
    exchanged_with_other_program: bool
    author: str | None
    created_at: datetime


@dataclass(frozen=True)
class NotesSection:
    ws: Workspace
    notes: list[NoteView]
    next_before: int | None
    before: int | None


def section(session: Session, actor: Actor, family_id: int, *, before: int | None = None,
            ip: str | None = None, today: date | None = None) -> NotesSection:
    """The notes the actor may read, newest first, paged by key (``id < before``)."""
    ws = open_workspace(session, actor, family_id, Section.NOTES, ip=ip, today=today,
                        detail={"before": before})
    conditions = [ContactNote.family_id == family_id,
                  program_gate(actor, ws.sharing, ContactNote.program)]
    if before is not None:
        conditions.append(ContactNote.id < before)
    rows = session.execute(
        select(ContactNote.id, ContactNote.contact_on, ContactNote.program,
               ContactNote.contact_type, ContactNote.participants, ContactNote.summary,
               ContactNote.exchanged_with_other_program, User.display_name,
               ContactNote.created_at)
        .outerjoin(User, User.id == ContactNote.author_id)
        .where(*conditions).order_by(ContactNote.id.desc()).limit(PAGE + 1)).all()
    notes = [NoteView(i, on, Program(p), ContactType(t), parts, s, x, a, at)
             for i, on, p, t, parts, s, x, a, at in rows[:PAGE]]
    return NotesSection(ws, notes, notes[-1].id if len(rows) > PAGE else None, before)


def add(session: Session, actor: Actor, family_id: int, data: NoteInput, *,
        ip: str | None = None, today: date | None = None) -> ContactNote:
    ws = for_change(session, actor, family_id, Permission.WORK_FAMILY, ip=ip, today=today)
    program = require_program_staff(actor)
    summary = data.summary.strip()
    if not summary:
        raise InvalidInput("summary", "Write what happened")
    if len(summary) > 10_000:
        raise InvalidInput("summary", "Keep the summary under 10,000 characters")
    if data.contact_on > ws.today:
        raise InvalidInput("contact_on", "A contact cannot be in the future")
    if data.contact_on < ws.today - OLDEST:
        raise InvalidInput("contact_on", "Enter a contact of the last twelve months")
    note = ContactNote(family_id=family_id, contact_on=data.contact_on, program=program,
                       contact_type=data.contact_type,
                       participants=data.participants.strip() or None, summary=summary,
                       exchanged_with_other_program=data.exchanged_with_other_program,
                       author_id=actor.user_id)
    session.add(note)
    session.flush()
    # The summary stays in the note; the audit keeps what identifies it.
    audit.record(session, actor, AuditAction.NOTE_ADD, "contact_note", note.id,
                 {"after": snapshot({"contact_on": data.contact_on, "program": program,
                                     "contact_type": data.contact_type,
                                     "exchanged": data.exchanged_with_other_program}),
                  **gate(program)},
                 ip, family_id=family_id)
    return note
