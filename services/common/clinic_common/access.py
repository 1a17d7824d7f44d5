"""Access rules: which roles may call a method, at which location, and whether it is audited.

Each service keeps one permission table next to its API (``entrypoints/permissions.py``):
for every method of every gRPC service it serves, a :class:`Rule`. The server
refuses to start when a method has no rule, and a test walks every descriptor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.message import Message

from clinic_common import identity
from clinic_common.errors import FieldViolation, PermissionDenied
from clinic_common.identity import ALL_LOCATIONS, Principal, Role
from clinic_common.names import WILDCARD, Name, check_id

# How a rule finds the location a request acts at: the location id, ALL_LOCATIONS for
# "every location the caller may see" (a list under locations/-), or "" for none.
LocationOf = Callable[[Message], str]


@dataclass(frozen=True)
class Rule:
    """Who may call one method."""

    roles: frozenset[Role]
    # Where the request names its location; None when the method is not location-bound.
    location: LocationOf | None = None
    # Whether the method reads or changes a patient's data (and so is audited).
    phi: bool = True
    # Whether patients named in the response are audited too (not for the audit query,
    # whose rows name patients it does not disclose the data of).
    audit_response: bool = True

    def refusal(self, principal: Principal, request: Message) -> tuple[str, PermissionDenied | None]:
        """The location the call acts at, and why the principal may not make it (or None)."""
        acting = principal.acting_roles(self.roles)
        if not acting:
            return "", PermissionDenied(
                f"none of your roles ({principal.role_names or 'none'}) may make this call; "
                f"it needs one of {', '.join(sorted(self.roles))}", reason="ROLE_NOT_ALLOWED")
        location = self.location(request) if self.location else ""
        if location and location != ALL_LOCATIONS and not principal.may_act_at(location, acting):
            return location, PermissionDenied(
                f"you do not work at location {location!r}", reason="LOCATION_NOT_ALLOWED",
                location_id=location)
        return location, None


def rule(*roles: Role, location: LocationOf | None = None, phi: bool = True,
         audit_response: bool = True) -> Rule:
    if not roles:
        raise ValueError("a rule names at least one role")
    return Rule(frozenset(roles), location, phi, audit_response)


def acts_as(roles: Iterable[Role]) -> bool:
    """Whether the caller holds one of ``roles``: for fields only some callers may see."""
    principal = identity.current()
    return principal is not None and bool(principal.acting_roles(roles))


def require_role(roles: Iterable[Role], what: str) -> None:
    """For a check finer than the method's rule: ``what`` needs one of ``roles``."""
    principal = identity.current()
    if principal is None or not principal.acting_roles(roles):
        raise PermissionDenied(f"{what} needs one of {', '.join(sorted(roles))}",
                               reason="ROLE_NOT_ALLOWED")


def locations_in_scope(rule: Rule) -> frozenset[str] | None:
    """The locations the caller may see under ``rule`` (None: every location), for a list
    across locations ("locations/-")."""
    principal = identity.current()
    if principal is None:
        return frozenset()
    acting = principal.acting_roles(rule.roles)
    return None if principal.spans_locations(acting) else frozenset(principal.locations)


def location_in(path: str, pattern: Name) -> LocationOf:
    """The location in a resource name at ``path`` (dotted), such as ``parent`` or
    ``appointment.name``, whose pattern starts with ``locations/{location}``."""
    def extract(request: Message) -> str:
        location = pattern.parse(_field(request, path), path)[0]
        return ALL_LOCATIONS if location == WILDCARD else location
    return extract


def location_field(path: str, *, required: bool = True) -> LocationOf:
    """The location id in a plain field at ``path``, such as ``location_id``."""
    def extract(request: Message) -> str:
        value = _field(request, path)
        if not value and not required:
            return ""
        return check_id(value, path)
    return extract


def _field(message: Message, path: str) -> str:
    for part in path.split("."):
        message = getattr(message, part)
    if not isinstance(message, str):
        raise FieldViolation(path, "is not text")
    return message


def permission_table(service: ServiceDescriptor, rules: Mapping[str, Rule]) -> dict[str, Rule]:
    """The rules of one gRPC service by full method path; every method needs one."""
    streaming = sorted(m.name for m in service.methods if m.client_streaming)
    if streaming:
        raise ValueError(f"{service.full_name}: streaming requests pass no access rule or "
                         f"audit: {streaming}")
    methods = {m.name for m in service.methods}
    missing, unknown = sorted(methods - set(rules)), sorted(set(rules) - methods)
    if missing or unknown:
        raise ValueError(f"{service.full_name}: methods without a rule {missing}, "
                         f"rules without a method {unknown}")
    return {f"/{service.full_name}/{name}": r for name, r in rules.items()}


def methods_without_rules(services: Iterable[ServiceDescriptor],
                          rules: Mapping[str, Rule]) -> list[str]:
    return [f"/{s.full_name}/{m.name}" for s in services for m in s.methods
            if f"/{s.full_name}/{m.name}" not in rules]
