from __future__ import annotations

from collections.abc import Callable

import pytest
from mutual_family_fixtures import (  # fixtures are registered by importing them
    Seeded,
    fast_password_hashing,  # noqa: F401
    real_password_hashing,  # noqa: F401
    seed,
)
from sqlalchemy.orm import Session

from linkages.models import User
from linkages.services.scope import Actor


@pytest.fixture
def seeded(session: Session) -> Seeded:
    result = seed(session)
    session.commit()
    return result


@pytest.fixture
def actor(session: Session, seeded: Seeded) -> Callable[[str], Actor]:
    def make(username: str) -> Actor:
        user = session.get(User, seeded.users[username])
        assert user is not None
        return Actor.from_user(user)

    return make
