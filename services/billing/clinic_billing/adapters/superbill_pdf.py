"""A superbill as a PDF, written with fpdf2 (pure Python, no system libraries).

One US Letter page or more: the billing provider (name, address, NPI, tax id), the
patient's account and the dates of service, the diagnosis codes, one row per service
(date, place of service, code and modifiers with the description, diagnosis codes,
units, rendering provider NPI, charge) and the totals charged and paid. The core
Helvetica font carries Latin-1 only; anything else prints as "?".
"""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from clinic_billing.domain.policy import BillingPolicy
from clinic_billing.domain.superbill import Superbill


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) // 100:,}.{abs(cents) % 100:02d}"


def _text(value: str) -> str:
    return value.encode("latin-1", "replace").decode("latin-1")


def _ein(tax_id: str) -> str:
    return f"{tax_id[:2]}-{tax_id[2:]}" if len(tax_id) == 9 else tax_id


COLUMNS = (("Date", 19), ("POS", 9), ("Code", 20), ("Description", 48), ("Diagnoses", 20),
           ("Units", 11), ("Rendering NPI", 22), ("Charge", 23), ("Paid", 23))


def render(bill: Superbill, policy: BillingPolicy) -> bytes:
    pdf = FPDF(orientation="portrait", unit="mm", format="Letter")
    pdf.set_creation_date(bill.produced_at)
    pdf.set_title(_text(f"Superbill {bill.patient_id} {bill.start} to {bill.end}"))
    pdf.set_author(_text(bill.provider.name))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_margins(10, 12, 10)
    pdf.add_page()

    def line(text: str, size: float = 10, style: str = "") -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.cell(0, size * 0.5, _text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    line("SUPERBILL", 16, "B")
    line("Statement of services for out-of-network reimbursement", 10)
    pdf.ln(3)
    p = bill.provider
    line("Billing provider", 11, "B")
    line(p.name)
    line(p.address)
    line(f"NPI: {p.npi}    Tax ID (EIN): {_ein(p.tax_id)}")
    pdf.ln(3)
    line("Patient", 11, "B")
    line(f"Account: {bill.patient_id}")
    line(f"Dates of service: {bill.start:%m/%d/%Y} to {bill.end:%m/%d/%Y}")
    line(f"Prepared: {policy.local_date(bill.produced_at):%m/%d/%Y}")
    pdf.ln(3)
    line("Diagnosis codes (ICD-10-CM)", 11, "B")
    line(", ".join(bill.diagnosis_codes) or "none recorded")
    pdf.ln(3)
    pdf.set_font("Helvetica", "", 8)
    with pdf.table(col_widths=tuple(w for _, w in COLUMNS), text_align=(
            "LEFT", "CENTER", "LEFT", "LEFT", "LEFT", "RIGHT", "LEFT", "RIGHT", "RIGHT"),
            line_height=4.5, first_row_as_headings=True) as table:
        table.row([name for name, _ in COLUMNS])
        for item in bill.lines:
            c = item.charge
            code = "-".join([c.procedure_code, *c.modifiers])
            table.row([f"{c.service_date:%m/%d/%Y}", item.place_of_service, code,
                       _text(item.description), ", ".join(c.diagnosis_codes),
                       str(c.units or 1), item.rendering_npi, money(c.amount_cents),
                       money(item.paid_cents)])
    pdf.ln(3)
    rendering = sorted({item.charge.rendering_provider_id for item in bill.lines}
                       & set(p.rendering_names))
    if rendering:
        line("Rendering providers", 11, "B")
        for staff_id in rendering:
            line(f"{p.rendering_names[staff_id].display}: NPI {p.rendering_npi(staff_id)}")
        pdf.ln(2)
    line(f"Total charged: {money(bill.charged_cents)}", 11, "B")
    line(f"Paid by the patient: {money(bill.paid_cents)}", 11, "B")
    pdf.ln(2)
    line("Place of service 11: office. Units of a drug billed per milligram are milligrams. "
         "Payments are applied to the oldest services first.", 8)
    return bytes(pdf.output())
