"""X12 835 (005010X221A1) files for tests: what a payer would send back for our claims."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from clinic_billing.adapters.x12_837 import dollars


@dataclass
class Line:
    code: str
    charge_cents: int
    paid_cents: int
    adjustments: list[tuple[str, str, int]] = field(default_factory=list)  # (group, CARC, cents)
    modifiers: tuple[str, ...] = ()
    charge_ref: str = ""  # REF*6R: our charge id, as the 837P sent it
    allowed_cents: int | None = None
    remarks: tuple[str, ...] = ()


@dataclass
class ClaimPayment:
    claim_id: str
    status: str  # CLP02: 1, 2, 3, 4, 22
    charge_cents: int
    paid_cents: int
    patient_cents: int = 0
    lines: list[Line] = field(default_factory=list)
    adjustments: list[tuple[str, str, int]] = field(default_factory=list)
    payer_claim_number: str = "PCN1"
    service_date: dt.date = dt.date(2026, 3, 10)


def era(claims: list[ClaimPayment], *, trace: str = "CHK1001", control: int = 101,
        plb: list[tuple[str, str, int]] = (), deposit_cents: int | None = None,
        day: dt.date = dt.date(2026, 4, 1), payer_id: str = "60054") -> str:
    """An 835 paying ``claims``; BPR02 is the sum of CLP04 less the PLB amounts unless given."""
    if deposit_cents is None:
        deposit_cents = sum(c.paid_cents for c in claims) - sum(a for _, _, a in plb)
    d8 = day.strftime("%Y%m%d")
    body = [
        ["BPR", "I", dollars(deposit_cents), "C", "CHK", "", "", "", "", "", "", "", "", "", "",
         "", d8],
        ["TRN", "1", trace, "1512345678"],
        ["DTM", "405", d8],
        ["N1", "PR", "AETNA"],
        ["N3", "1 PAYER WAY"],
        ["N4", "HARTFORD", "CT", "06101"],
        ["REF", "2U", payer_id],
        ["PER", "BL", "EDI", "TE", "8005551212"],
        ["N1", "PE", "CLINIC GROUP", "XX", "1234567893"],
    ]
    if claims:
        body.append(["LX", "1"])
    for claim in claims:
        body.append(["CLP", claim.claim_id, claim.status, dollars(claim.charge_cents),
                     dollars(claim.paid_cents), dollars(claim.patient_cents) if claim.patient_cents
                     else "", "12", claim.payer_claim_number])
        body += _cas(claim.adjustments)
        body.append(["NM1", "QC", "1", "DOE", "JANE", "", "", "", "MI", "M-1"])
        for line in claim.lines:
            body.append(["SVC", ":".join(["HC", line.code, *line.modifiers]),
                         dollars(line.charge_cents), dollars(line.paid_cents), "", "1"])
            body.append(["DTM", "472", claim.service_date.strftime("%Y%m%d")])
            body += _cas(line.adjustments)
            if line.charge_ref:
                body.append(["REF", "6R", line.charge_ref])
            if line.allowed_cents is not None:
                body.append(["AMT", "B6", dollars(line.allowed_cents)])
            body += [["LQ", "HE", remark] for remark in line.remarks]
    for reason, reference, cents in plb:
        body.append(["PLB", "1234567893", f"{day.year}1231", f"{reason}:{reference}",
                     dollars(cents)])
    st = [["ST", "835", "0001"], *body]
    st.append(["SE", str(len(st) + 1), "0001"])
    isa = ["ISA", "00", " " * 10, "00", " " * 10, "ZZ", "AETNA".ljust(15), "ZZ",
           "CLINICGROUP".ljust(15), day.strftime("%y%m%d"), "1200", "^", "00501",
           f"{control:09d}", "0", "P", ":"]
    gs = ["GS", "HP", "AETNA", "CLINICGROUP", d8, "1200", str(control), "X", "005010X221A1"]
    segments = [isa, gs, *st, ["GE", "1", str(control)], ["IEA", "1", f"{control:09d}"]]
    return "".join("*".join(_trim(s)) + "~\n" for s in segments)


def _cas(adjustments: list[tuple[str, str, int]]) -> list[list[str]]:
    groups: dict[str, list[str]] = {}
    for group, reason, cents in adjustments:
        groups.setdefault(group, []).extend([reason, dollars(cents), ""])
    return [["CAS", group, *_trim(values)] for group, values in groups.items()]


def _trim(segment: list[str]) -> list[str]:
    while len(segment) > 1 and segment[-1] == "":
        segment = segment[:-1]
    return segment
