"""Consent and information sharing: the signed authorizations that let one program's detail
reach the other program's staff (WIC 10850, WIC 827/832 for the CFT) and AOD treatment
information reach the team members a 42 CFR Part 2 consent names.

The gate itself is :mod:`linkages.services.workspace` (``load_sharing``, ``program_gate``):
this module records, lists and revokes the consents it reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from linkages.models import Consent, ConsentRecipient, User
from linkages.models.enums import LegalBasis, Program, Role, SignerRelationship
from linkages.services import audit
from linkages.services.audit import AuditAction
from linkages.services.scope import Actor, NotFound, Permission
from linkages.services.workspace import (
    Conflict,
    InvalidInput,
    Section,
    Workspace,
    consent_in_force,
    for_change,
    gate,
    snapshot,
)
from linkages.services.workspace import open as open_workspace

# CalWORKs practice (and most county forms): an authorization lasts at most one year.
EXPIRING_SOON_DAYS = 30
PROGRAM_ROLES: dict[Program, tuple[Role, ...]] = {
    Program.CWS: (Role.CWS_WORKER, Role.CWS_SUPERVISOR),
    Program.CALWORKS: (Role.CALWORKS_WORKER, Role.CALWORKS_SUPERVISOR),
}


def default_expiry(signed_on: date) -> date:
    """One year after signing: a consent signed 2026-03-01 is in force through 2027-03-01."""
    try:
        return signed_on.replace(year=signed_on.year + 1)
    except ValueError:  # 29 February
        return signed_on.replace(year=signed_on.year + 1, day=28)


@dataclass(frozen=True, slots=True)
class ConsentInput:
    signer_name: str
    signer_relationship: SignerRelationship
    legal_basis: LegalBasis
    covers_cws: bool
    covers_calworks: bool
    purpose: str
    signed_on: date
    expires_on: date | None = None
    recipient_ids: tuple[int, ...] = ()
    other_members: str = ""
    restrictions: str = ""
    document_note: str = ""


@dataclass(frozen=True, slots=True)
class ConsentView:
    id: int
    signer_name: str
    signer_relationship: SignerRelationship
    legal_basis: LegalBasis
    covers_cws: bool
    covers_calworks: bool
    purpose: str
    other_members: str | None
    restrictions: str | None
    signed_on: date
    expires_on: date
    document_note: str | None
    revoked_on: date | None
    revocation_note: str | None
    recipients: list[str]
    row_version: int
    today: date

    @property
    def in_force(self) -> bool:
        return (self.signed_on <= self.today <= self.expires_on
                and (self.revoked_on is None or self.revoked_on > self.today))

    @property
    def state(self) -> str:
        if self.revoked_on is not None and self.revoked_on <= self.today:
            return "revoked"
        if self.expires_on < self.today:
            return "expired"
        if self.signed_on > self.today:
            return "not yet in force"
        if (self.expires_on - self.today).days <= EXPIRING_SOON_DAYS:
            return "expiring soon"
        return "in force"

    @property
    def programs(self) -> str:
        if self.legal_basis is LegalBasis.CFR42_PART2:
            return "AOD treatment information"
        covered = [p.label for p, on in ((Program.CWS, self.covers_cws),
                                         (Program.CALWORKS, self.covers_calworks)) if on]
        return " and ".join(covered) + " information"


@dataclass(frozen=True, slots=True)
class Candidate:
    user_id: int
    display_name: str
    role: Role
    program: Program


@dataclass(frozen=True)
class ConsentSection:
    ws: Workspace
    consents: list[ConsentView]
    candidates: list[Candidate]


def team_candidates(session: Session, ws: Workspace) -> list[Candidate]:
    """Active staff of both programs in the family's counties: who a consent can name and a
    supervisor can pair."""
    conditions = [
        (User.program == p.value) & (User.county_cd == ws.header.county_of(p))
        & User.role.in_(PROGRAM_ROLES[p]) for p in Program
    ]
    rows = session.execute(
        select(User.id, User.display_name, User.role, User.program)
        .where(User.active.is_(True), or_(*conditions))
        .order_by(User.program, User.display_name)).all()
    return [Candidate(i, n, Role(r), Program(p)) for i, n, r, p in rows]


def _visible(actor: Actor) -> object:
    # A Part 2 consent tells that someone is in AOD treatment: only the users it names, and
    # whoever recorded it, know it exists.
    named = select(ConsentRecipient.consent_id).where(ConsentRecipient.user_id == actor.user_id)
    return or_(Consent.legal_basis != LegalBasis.CFR42_PART2, Consent.id.in_(named),
               Consent.recorded_by_id == actor.user_id)


def section(session: Session, actor: Actor, family_id: int, *, ip: str | None = None,
            today: date | None = None) -> ConsentSection:
    ws = open_workspace(session, actor, family_id, Section.CONSENT, ip=ip, today=today)
    rows = session.scalars(
        select(Consent).where(Consent.family_id == family_id, _visible(actor))
        .order_by(Consent.signed_on.desc(), Consent.id.desc())).all()
    names = dict(session.execute(
        select(ConsentRecipient.id, User.display_name)
        .join(User, User.id == ConsentRecipient.user_id)
        .join(Consent, Consent.id == ConsentRecipient.consent_id)
        .where(Consent.family_id == family_id)).all())
    consents = [
        ConsentView(c.id, c.signer_name, SignerRelationship(c.signer_relationship),
                    LegalBasis(c.legal_basis), c.covers_cws, c.covers_calworks, c.purpose,
                    c.other_members, c.restrictions, c.signed_on, c.expires_on,
                    c.document_note, c.revoked_on, c.revocation_note,
                    [names[r.id] for r in c.recipients if r.id in names], c.row_version,
                    ws.today)
        for c in rows]
    return ConsentSection(ws, consents, team_candidates(session, ws))


def record(session: Session, actor: Actor, family_id: int, data: ConsentInput, *,
           ip: str | None = None, today: date | None = None) -> Consent:
    """Record a signed consent. Its programs say whose information it releases; a Part 2
    consent must name the team members (users) who may see AOD treatment information."""
    ws = for_change(session, actor, family_id, Permission.WORK_FAMILY, ip=ip, today=today)
    signer = " ".join(data.signer_name.split())
    if not signer:
        raise InvalidInput("signer_name", "Enter the name of the person who signed")
    if len(signer) > 120:
        raise InvalidInput("signer_name", "Enter at most 120 characters")
    purpose = data.purpose.strip()
    if not purpose:
        raise InvalidInput("purpose", "Enter the purpose the consent states")
    part2 = data.legal_basis is LegalBasis.CFR42_PART2
    if not part2 and not (data.covers_cws or data.covers_calworks):
        raise InvalidInput("programs", "Choose whose information the consent releases")
    if data.signed_on > ws.today:
        raise InvalidInput("signed_on", "The date signed cannot be in the future")
    expires = data.expires_on or default_expiry(data.signed_on)
    if expires < data.signed_on:
        raise InvalidInput("expires_on", "The expiry must be on or after the date signed")
    if expires > default_expiry(data.signed_on):
        raise InvalidInput("expires_on", "A consent lasts at most one year: enter "
                           f"{default_expiry(data.signed_on).isoformat()} or earlier")
    if expires < ws.today:
        raise InvalidInput("expires_on", "This consent has already expired: record the "
                           "current one")
    allowed = {c.user_id for c in team_candidates(session, ws)}
    recipients = tuple(dict.fromkeys(data.recipient_ids))
    if any(r not in allowed for r in recipients):
        raise InvalidInput("recipients", "Choose team members from the list")
    if part2 and not recipients:
        raise InvalidInput("recipients", "A 42 CFR Part 2 consent must name the team members "
                           "who may see AOD treatment information")
    consent = Consent(
        family_id=family_id, signer_name=signer,
        signer_relationship=data.signer_relationship, legal_basis=data.legal_basis,
        covers_cws=data.covers_cws and not part2,
        covers_calworks=data.covers_calworks and not part2,
        purpose=purpose, other_members=data.other_members.strip() or None,
        restrictions=data.restrictions.strip() or None, signed_on=data.signed_on,
        expires_on=expires, document_note=data.document_note.strip() or None,
        recorded_by_id=actor.user_id)
    consent.recipients = [ConsentRecipient(user_id=r) for r in recipients]
    session.add(consent)
    session.flush()
    audit.record(session, actor, AuditAction.CONSENT_RECORD, "consent", consent.id,
                 {"after": snapshot({
                     "signer_name": signer, "legal_basis": data.legal_basis,
                     "covers_cws": consent.covers_cws,
                     "covers_calworks": consent.covers_calworks, "signed_on": data.signed_on,
                     "expires_on": expires, "recipients": list(recipients)}),
                  **gate(part2=part2)},
                 ip, family_id=family_id)
    return consent


def revoke(session: Session, actor: Actor, family_id: int, consent_id: int, *,
           revoked_on: date, note: str, row_version: int | None = None,
           ip: str | None = None, today: date | None = None) -> None:
    """Record that the signer withdrew the consent. From ``revoked_on`` it releases nothing:
    the next page anyone opens no longer shows what it covered."""
    ws = for_change(session, actor, family_id, Permission.WORK_FAMILY, ip=ip, today=today)
    consent = session.scalar(select(Consent).where(
        Consent.id == consent_id, Consent.family_id == family_id, _visible(actor)))
    if consent is None:
        raise NotFound(f"consent {consent_id}")
    if revoked_on > ws.today:
        raise InvalidInput("revoked_on", "The revocation date cannot be in the future")
    if revoked_on < consent.signed_on:
        raise InvalidInput("revoked_on", "The revocation date cannot be before the consent "
                           "was signed")
    if not note.strip():
        raise InvalidInput("note", "Say how the signer withdrew the consent")
    if row_version is not None and consent.row_version != row_version:
        raise Conflict("This consent was changed by someone else since you opened it.")
    # Guarded: two workers revoking at once leave one revocation, not two.
    hit = session.execute(
        update(Consent).where(Consent.id == consent_id, Consent.revoked_on.is_(None))
        .values(revoked_on=revoked_on, revocation_note=note.strip(),
                revoked_by_id=actor.user_id, row_version=Consent.row_version + 1)
        .execution_options(synchronize_session=False)).rowcount
    if hit != 1:
        raise Conflict("This consent has already been revoked.")
    session.expire(consent)
    audit.record(session, actor, AuditAction.CONSENT_REVOKE, "consent", consent_id,
                 {"before": {"revoked_on": None},
                  "after": snapshot({"revoked_on": revoked_on, "note": note.strip()}),
                  **gate(part2=consent.legal_basis == LegalBasis.CFR42_PART2)},
                 ip, family_id=family_id)


def expiring(today: date) -> object:
    """Consents in force that end within 30 days: the dashboard's reminder."""
    return (consent_in_force(today)
            & (Consent.expires_on <= today + timedelta(days=EXPIRING_SOON_DAYS)))
