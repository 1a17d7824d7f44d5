"""Charges: one billable line on an account, and the ledger entries it makes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from clinic_billing.domain import errors
from clinic_billing.domain.model import (
    ChargeSource,
    ChargeState,
    EntryKind,
    LedgerEntry,
    LineItem,
    Responsibility,
    sortable_id,
)
from clinic_billing.domain.pricing import Price


@dataclass
class Charge:
    patient_id: str
    source: ChargeSource
    procedure_code: str
    units: int
    service_date: dt.date
    responsibility: Responsibility
    amount_cents: int
    allowed_cents: int = 0
    payer_id: str = ""
    coverage_id: str = ""
    appointment_id: str | None = None
    line_number: int | None = None
    modifiers: list[str] = field(default_factory=list)
    diagnosis_codes: list[str] = field(default_factory=list)
    location_id: str = ""
    rendering_provider_id: str = ""
    state: ChargeState = ChargeState.POSTED
    void_reason: str = ""
    posted_at: dt.datetime = field(kw_only=True)
    voided_at: dt.datetime | None = None
    charge_id: str = field(default_factory=sortable_id)
    version: int = 0
    # A drug line's claim details (see model.DrugDetail); empty on other lines.
    drug_name: str = ""
    ndc: str = ""
    ndc_unit: str = ""
    ndc_quantity: str = ""
    # The prior authorization it used, and why it is beyond it (AuthorizationProblem), if so.
    prior_authorization_id: str = ""
    authorization_problem: str = ""
    authorization_problem_detail: str = ""

    @classmethod
    def post(cls, *, patient_id: str, item: LineItem, price: Price, source: ChargeSource,
             service_date: dt.date, appointment_id: str | None = None,
             line_number: int | None = None, location_id: str = "",
             rendering_provider_id: str = "", now: dt.datetime) -> Charge:
        drug = item.drug
        return cls(
            drug_name=drug.name if drug else "", ndc=drug.ndc if drug else "",
            ndc_unit=drug.unit_of_measure if drug else "",
            ndc_quantity=drug.quantity if drug else "",
            patient_id=patient_id, source=source, procedure_code=item.procedure_code,
            units=item.units, service_date=service_date, responsibility=price.responsibility,
            amount_cents=price.amount_cents, allowed_cents=price.allowed_cents,
            payer_id=price.payer_id, coverage_id=price.coverage_id,
            appointment_id=appointment_id or None, line_number=line_number,
            modifiers=list(item.modifiers), diagnosis_codes=list(item.diagnosis_codes),
            location_id=location_id, rendering_provider_id=rendering_provider_id,
            posted_at=now)

    def ledger_entry(self) -> LedgerEntry:
        """The entry that puts the charge on the balance of whoever pays first."""
        return self._entry(EntryKind.CHARGE, self.amount_cents, self.posted_at)

    def void(self, reason: str, now: dt.datetime) -> LedgerEntry:
        """Voids the charge and returns the entry that takes it off the balance."""
        if not reason.strip():
            raise errors.field("reason", "is required")
        if self.state == ChargeState.VOIDED:
            raise errors.ChargeAlreadyVoided(self.charge_id)
        self.state = ChargeState.VOIDED
        self.void_reason = reason.strip()
        self.voided_at = now
        return self._entry(EntryKind.VOID, -self.amount_cents, now)

    def _entry(self, kind: EntryKind, cents: int, when: dt.datetime) -> LedgerEntry:
        patient = self.responsibility == Responsibility.PATIENT
        return LedgerEntry(patient_id=self.patient_id, charge_id=self.charge_id, kind=kind,
                           patient_cents=cents if patient else 0,
                           insurance_cents=0 if patient else cents, posted_at=when)
