"""Who is calling: a staff member or a service, with roles and the locations they act at.

The identity interceptor binds the verified :class:`Principal` of each call; an
event consumer binds its own service principal while it applies an event. Code
that records who did something reads :func:`current`.
"""

from __future__ import annotations

import contextvars
import enum
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

ALL_LOCATIONS = "*"
SERVICE_PREFIX = "service:"
# Staff ids, location ids and service names: short, printable, no separators.
SUBJECT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@:-]{0,127}")
LOCATION = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class Role(enum.StrEnum):
    FRONT_DESK = "FRONT_DESK"
    NURSE = "NURSE"
    PROVIDER = "PROVIDER"
    TMS_TECHNICIAN = "TMS_TECHNICIAN"
    BILLING = "BILLING"
    OPS = "OPS"
    ADMIN = "ADMIN"
    # Another service of the system, calling on its own behalf.
    SERVICE = "SERVICE"


# Roles whose work is not tied to a location: they act at every location whatever
# their token lists. Every other role acts only at the locations in the token.
SPANNING_ROLES = frozenset({Role.BILLING, Role.OPS, Role.ADMIN, Role.SERVICE})
CLINICIANS = frozenset({Role.NURSE, Role.PROVIDER})
STAFF_ROLES = frozenset(Role) - {Role.SERVICE}


@dataclass(frozen=True)
class Principal:
    """A verified caller. ``subject`` is a staff id, or ``service:<name>`` for a service."""

    subject: str
    roles: frozenset[Role]
    locations: frozenset[str] = frozenset()
    token_id: str = ""

    @classmethod
    def service(cls, name: str) -> Principal:
        """A service acting on its own behalf (its consumer, its calls to other services)."""
        return cls(f"{SERVICE_PREFIX}{name}", frozenset({Role.SERVICE}),
                   frozenset({ALL_LOCATIONS}))

    @property
    def is_service(self) -> bool:
        return self.subject.startswith(SERVICE_PREFIX)

    @property
    def role_names(self) -> str:
        return ",".join(sorted(self.roles))

    def acting_roles(self, allowed: Iterable[Role]) -> frozenset[Role]:
        """The caller's roles among those a rule allows."""
        return self.roles & frozenset(allowed)

    def may_act_at(self, location_id: str, roles: Iterable[Role]) -> bool:
        """Whether the caller, in one of ``roles``, may act at ``location_id``."""
        return bool(self.spans_locations(roles) or location_id in self.locations)

    def spans_locations(self, roles: Iterable[Role]) -> bool:
        """Whether the caller, in one of ``roles``, acts at every location."""
        return ALL_LOCATIONS in self.locations or bool(frozenset(roles) & SPANNING_ROLES)


_current: contextvars.ContextVar[Principal | None] = contextvars.ContextVar(
    "principal", default=None)


def current() -> Principal | None:
    """The principal of the call or event being handled, if any."""
    return _current.get()


def actor_id() -> str:
    """The id to record as the one who acted: the principal's subject, or "" outside a call."""
    principal = _current.get()
    return principal.subject if principal else ""


@contextmanager
def acting_as(principal: Principal | None) -> Iterator[None]:
    token = _current.set(principal)
    try:
        yield
    finally:
        _current.reset(token)
