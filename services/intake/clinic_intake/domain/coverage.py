"""Insurance coverages: what is recorded, which is in force on a date, and ending one."""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass, field

from clinic_intake.domain import common, errors

URI = re.compile(r"^[a-z][a-z0-9+.-]*://\S+$")
PRIORITIES = {1: "primary", 2: "secondary", 3: "tertiary"}


class Relationship(enum.StrEnum):
    SELF = "SELF"
    SPOUSE = "SPOUSE"
    CHILD = "CHILD"
    OTHER = "OTHER"


class PlanType(enum.StrEnum):
    UNSPECIFIED = ""
    PPO = "PPO"
    HMO = "HMO"
    EPO = "EPO"
    POS = "POS"
    MEDICARE = "MEDICARE"
    MEDICAID = "MEDICAID"
    TRICARE = "TRICARE"
    OTHER = "OTHER"


def _uri(value: str, name: str) -> str:
    value = (value or "").strip()
    if value and (len(value) > 500 or not URI.match(value)):
        raise errors.field(f"coverage.{name}", "must be a reference such as s3://bucket/key")
    return value


def _checked(d: dict) -> dict:
    if d.get("priority") not in PRIORITIES:
        raise errors.field("coverage.priority", "must be 1 (primary), 2 or 3")
    if d.get("effective_date") is None:
        raise errors.field("coverage.effective_date", "is required")
    common.date_order(d["effective_date"], d.get("end_date"), "coverage.end_date")
    relationship = common.choice(Relationship, d.get("subscriber_relationship", ""),
                                 "coverage.subscriber_relationship")
    checked = {
        "payer_id": common.required_text(d.get("payer_id", ""), "coverage.payer_id", 64),
        "payer_name": common.optional_text(d.get("payer_name", ""), "coverage.payer_name"),
        "member_id": common.required_text(d.get("member_id", ""), "coverage.member_id", 64),
        "group_number": common.optional_text(d.get("group_number", ""),
                                             "coverage.group_number", 64),
        "plan_type": common.choice(PlanType, d.get("plan_type", ""), "coverage.plan_type"),
        "subscriber_relationship": relationship, "priority": d["priority"],
        "effective_date": d["effective_date"], "end_date": d.get("end_date"),
        "card_front_image_uri": _uri(d.get("card_front_image_uri", ""), "card_front_image_uri"),
        "card_back_image_uri": _uri(d.get("card_back_image_uri", ""), "card_back_image_uri"),
        "subscriber_name": "", "subscriber_date_of_birth": None,
    }
    if relationship != Relationship.SELF:
        checked["subscriber_name"] = common.required_text(d.get("subscriber_name", ""),
                                                          "coverage.subscriber_name")
        if d.get("subscriber_date_of_birth") is None:
            raise errors.field("coverage.subscriber_date_of_birth", "is required")
        checked["subscriber_date_of_birth"] = d["subscriber_date_of_birth"]
    return checked


@dataclass
class Coverage:
    """One insurance coverage of a patient."""

    coverage_id: str
    patient_id: str
    payer_id: str
    member_id: str
    priority: int
    effective_date: dt.date
    subscriber_relationship: str
    end_date: dt.date | None = None
    payer_name: str = ""
    group_number: str = ""
    plan_type: str = ""
    subscriber_name: str = ""
    subscriber_date_of_birth: dt.date | None = None
    card_front_image_uri: str = ""
    card_back_image_uri: str = ""
    ended: bool = False
    revision: int = 1
    created_at: dt.datetime = field(kw_only=True)
    updated_at: dt.datetime = field(kw_only=True)

    @classmethod
    def record(cls, patient_id: str, details: dict, others: list[Coverage],
               now: dt.datetime) -> Coverage:
        """A new coverage, refused if it repeats one or takes a priority already in force."""
        coverage = cls(coverage_id=common.new_id(), patient_id=patient_id,
                       created_at=now, updated_at=now, **_checked(details))
        for other in others:
            if other.payer_id == coverage.payer_id and other.member_id == coverage.member_id \
                    and other.overlaps(coverage):
                raise errors.CoverageExists(other.coverage_id)
        for other in others:
            if other.priority == coverage.priority and other.overlaps(coverage):
                raise errors.Refused("COVERAGE_PRIORITY_TAKEN",
                                     f"a {PRIORITIES[coverage.priority]} coverage is already in "
                                     "force in these dates; end it first",
                                     coverage_id=other.coverage_id)
        return coverage

    def in_force_on(self, day: dt.date) -> bool:
        return self.effective_date <= day and (self.end_date is None or day <= self.end_date)

    def overlaps(self, other: Coverage) -> bool:
        far = dt.date.max
        return self.effective_date <= (other.end_date or far) and \
            other.effective_date <= (self.end_date or far)

    def end(self, end_date: dt.date, now: dt.datetime) -> None:
        if self.ended:
            raise errors.Refused("COVERAGE_ALREADY_ENDED", "this coverage was already ended")
        if end_date < self.effective_date:
            raise errors.Refused("END_BEFORE_EFFECTIVE_DATE",
                                 "the end date is before the coverage's effective date")
        if self.end_date is not None and end_date > self.end_date:
            raise errors.Refused("END_AFTER_KNOWN_END_DATE",
                                 "the coverage already ends earlier; record a new coverage")
        self.end_date, self.ended = end_date, True
        self.revision += 1
        self.updated_at = now

    def snapshot(self) -> dict:
        return common.jsonable({k: getattr(self, k) for k in (
            "payer_id", "payer_name", "member_id", "group_number", "subscriber_name",
            "subscriber_date_of_birth", "subscriber_relationship", "plan_type", "priority",
            "effective_date", "end_date", "card_front_image_uri", "card_back_image_uri",
            "ended")})


def merge_conflicts(kept: list[Coverage], moved: list[Coverage]) -> list[str]:
    """Ids of moved coverages that would take a priority already in force on the survivor."""
    return [m.coverage_id for m in moved for k in kept
            if m.priority == k.priority and m.overlaps(k)]
