"""Claims as an X12 837P (005010X222A1) interchange: one ISA/GS/ST per batch.

Hand-written, segment by segment, from the implementation guide's loops; the tests
validate every file it writes with pyx12 against the 837P map. Money is written from
integer cents as dollars with two decimals, never through a float.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clinic_billing.domain.charge import Charge
from clinic_billing.domain.claim import Claim, Subscriber
from clinic_billing.domain.cob import PrimaryAdjudication
from clinic_billing.domain.coding import PayerKind
from clinic_billing.domain.payer import BillingProvider
from clinic_billing.domain.remittance import Adjustment

VERSION = "005010X222A1"
# SBR09: the claim filing indicator of each payer kind.
FILING = {PayerKind.MEDICARE: "MB", PayerKind.MEDICAID: "MC", PayerKind.COMMERCIAL: "CI"}
SEQUENCE = {1: "P", 2: "S", 3: "T"}


@dataclass(frozen=True)
class Envelope:
    """Who sends and who receives the interchange, and whether it is production."""

    sender_id: str
    receiver_id: str
    receiver_name: str
    usage: str = "P"  # ISA15: P production, T test
    contact_phone: str = ""


@dataclass(frozen=True)
class ClaimToSend:
    claim: Claim
    charges: list[Charge]
    subscriber: Subscriber
    member_id: str
    group_number: str
    priority: int
    payer_name: str
    payer_kind: PayerKind
    place_of_service: str = "11"  # office
    # A secondary claim: the primary's decision and its subscriber (loops 2320-2330B, 2430).
    cob: PrimaryAdjudication | None = None
    other_subscriber: Subscriber | None = None
    # Each line's prior authorization number (by charge id), where its charge used one.
    authorization_numbers: dict[str, str] | None = None


def dollars(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}" if part == 0 else f"{sign}{whole}.{part:02d}"


def _clean(value: str) -> str:
    return " ".join(value.replace("~", " ").replace("*", " ").replace(":", " ")
                    .replace("^", " ").split()).upper()


def render(batch_id: str, control_number: int, provider: BillingProvider, env: Envelope,
           claims: list[ClaimToSend], now: dt.datetime) -> str:
    """The 837P file of ``claims``: ISA13 and GS06 are ``control_number``; BHT03 the batch id."""
    street, city, state, postal = provider.postal_address() or ("", "", "", "")
    body: list[list[str]] = [
        ["BHT", "0019", "00", batch_id, now.strftime("%Y%m%d"), now.strftime("%H%M"), "CH"],
        ["NM1", "41", "2", _clean(provider.name), "", "", "", "", "46", env.sender_id],
        ["PER", "IC", "BILLING OFFICE", "TE", env.contact_phone or "0000000000"],
        ["NM1", "40", "2", _clean(env.receiver_name), "", "", "", "", "46", env.receiver_id],
        ["HL", "1", "", "20", "1"],
        *([["PRV", "BI", "PXC", provider.taxonomy_code]] if provider.taxonomy_code else []),
        ["NM1", "85", "2", _clean(provider.name), "", "", "", "", "XX", provider.npi],
        ["N3", _clean(street)],
        ["N4", _clean(city), state, postal],
        ["REF", "EI", provider.tax_id],
    ]
    for number, item in enumerate(claims, start=2):
        body += _claim(number, item, provider)
    st = [["ST", "837", "0001", VERSION], *body]
    st.append(["SE", str(len(st) + 1), "0001"])
    isa = ["ISA", "00", " " * 10, "00", " " * 10, "ZZ", env.sender_id.ljust(15)[:15], "ZZ",
           env.receiver_id.ljust(15)[:15], now.strftime("%y%m%d"), now.strftime("%H%M"), "^",
           "00501", f"{control_number:09d}", "0", env.usage, ":"]
    gs = ["GS", "HC", env.sender_id, env.receiver_id, now.strftime("%Y%m%d"),
          now.strftime("%H%M"), str(control_number), "X", VERSION]
    segments = [isa, gs, *st, ["GE", "1", str(control_number)],
                ["IEA", "1", f"{control_number:09d}"]]
    return "".join("*".join(_trim(s)) + "~\n" for s in segments)


def _trim(segment: list[str]) -> list[str]:
    """Drops empty trailing elements, as X12 requires."""
    while len(segment) > 1 and segment[-1] == "":
        segment = segment[:-1]
    return segment


def _rendering(staff_id: str, npi: str, provider: BillingProvider) -> list[list[str]]:
    """Loop 2310B: the rendering provider by name when billing keeps it (with its taxonomy,
    PRV*PE), else by staff id as the last name."""
    name = provider.rendering_names.get(staff_id)
    if name is None:
        return [["NM1", "82", "1", _clean(staff_id), "", "", "", "", "XX", npi]]
    # Credentials are not a name suffix (NM107 is Jr., III): the 837P leaves them out.
    segments = [["NM1", "82", "1", _clean(name.last_name), _clean(name.first_name), "", "", "",
                 "XX", npi]]
    if name.taxonomy_code:
        segments.append(["PRV", "PE", "PXC", name.taxonomy_code])
    return segments


def _claim(hl: int, item: ClaimToSend, provider: BillingProvider) -> list[list[str]]:
    claim, sub = item.claim, item.subscriber
    diagnoses: list[str] = []
    for charge in item.charges:
        diagnoses += [d for d in charge.diagnosis_codes if d not in diagnoses]
    rendering = provider.rendering_npi(item.charges[0].rendering_provider_id)
    numbers = item.authorization_numbers or {}
    # The claim's prior authorization (REF*G1 in 2300) is its first line's; a line with
    # another one says so itself (2400).
    claim_authorization = next((numbers[c.charge_id] for c in item.charges
                                if numbers.get(c.charge_id)), "")
    segments = [
        ["HL", str(hl), "1", "22", "0"],
        ["SBR", "S" if item.cob else SEQUENCE.get(item.priority, "P"), "18", _clean(item.group_number), "", "", "",
         "", "", FILING[item.payer_kind]],
        ["NM1", "IL", "1", _clean(sub.last_name), _clean(sub.first_name), "", "", "", "MI",
         _clean(item.member_id)],
        ["N3", _clean(sub.address_line)],
        ["N4", _clean(sub.city), sub.state, sub.postal_code],
        ["DMG", "D8", sub.birth_date.strftime("%Y%m%d"), sub.gender],
        ["NM1", "PR", "2", _clean(item.payer_name), "", "", "", "", "PI", _clean(claim.payer_id)],
        ["CLM", claim.claim_id, dollars(claim.total_charge_cents), "", "",
         f"{item.place_of_service}:B:1", "Y", "A", "Y", "Y"],
        *([["REF", "G1", _clean(claim_authorization)]] if claim_authorization else []),
        ["HI", *[("ABK" if i == 0 else "ABF") + ":" + d.replace(".", "")
                 for i, d in enumerate(diagnoses)]],
        *_rendering(item.charges[0].rendering_provider_id, rendering, provider),
    ]
    if item.cob is not None:
        segments += _other_payer(item.cob, item.other_subscriber or sub)
    for number, charge in enumerate(item.charges, start=1):
        own = numbers.get(charge.charge_id, "")
        segments += _line(number, charge, diagnoses,
                          own if own and own != claim_authorization else "")
        if item.cob is not None and (line := item.cob.line(charge.charge_id)) is not None:
            segments += _line_adjudication(item.cob, line.paid_cents, line.adjustments, charge)
    return segments


def _other_payer(cob: PrimaryAdjudication, sub: Subscriber) -> list[list[str]]:
    """Loops 2320 (the primary's decision on the claim), 2330A (its subscriber) and 2330B
    (the primary payer, with the day it adjudicated)."""
    return [
        ["SBR", "P", "18", _clean(cob.group_number), "", "", "", "", "",
         FILING[PayerKind(cob.filing_kind)]],
        *_cas(cob.claim_adjustments),
        ["AMT", "D", dollars(cob.paid_cents)],
        ["OI", "", "", "Y", "", "", "Y"],
        ["NM1", "IL", "1", _clean(sub.last_name), _clean(sub.first_name), "", "", "", "MI",
         _clean(cob.member_id) or "UNKNOWN"],
        ["NM1", "PR", "2", _clean(cob.payer_name), "", "", "", "", "PI", _clean(cob.payer_id)],
        ["DTP", "573", "D8", cob.adjudicated_on.strftime("%Y%m%d")],
    ]


def _line_adjudication(cob: PrimaryAdjudication, paid_cents: int,
                       adjustments: tuple[Adjustment, ...], charge: Charge) -> list[list[str]]:
    """Loop 2430: what the primary paid and adjusted on one line, and when."""
    procedure = ":".join(["HC", charge.procedure_code, *charge.modifiers])
    return [["SVD", _clean(cob.payer_id), dollars(paid_cents), procedure, "",
             str(charge.units)],
            *_cas(adjustments),
            ["DTP", "573", "D8", cob.adjudicated_on.strftime("%Y%m%d")]]


def _cas(adjustments) -> list[list[str]]:
    """One CAS per group, at most six reasons each (the segment's limit)."""
    segments = []
    for group in dict.fromkeys(a.group for a in adjustments):
        reasons = [a for a in adjustments if a.group == group]
        for start in range(0, len(reasons), 6):
            segment = ["CAS", group]
            for a in reasons[start:start + 6]:
                segment += [a.reason, dollars(a.cents), ""]
            segments.append(segment)
    return segments


def _line(number: int, charge: Charge, diagnoses: list[str],
          authorization: str = "") -> list[list[str]]:
    procedure = ":".join(["HC", charge.procedure_code, *charge.modifiers])
    pointers = ":".join(str(diagnoses.index(d) + 1) for d in dict.fromkeys(charge.diagnosis_codes))
    segments = [
        ["LX", str(number)],
        ["SV1", procedure, dollars(charge.amount_cents), "UN", str(charge.units), "", "",
         pointers],
        ["DTP", "472", "D8", charge.service_date.strftime("%Y%m%d")],
        *([["REF", "G1", _clean(authorization)]] if authorization else []),
        ["REF", "6R", charge.charge_id],
    ]
    if charge.ndc:
        segments += [["LIN", "", "N4", charge.ndc.replace("-", "")],
                     ["CTP", "", "", "", charge.ndc_quantity, charge.ndc_unit]]
    return segments
