"""Billing's tables, and the mapping of domain classes onto them."""

import enum

from clinic_common.db import BigId, UtcDateTime, new_metadata, platform_tables
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import registry
from sqlalchemy.types import JSON

from clinic_billing.domain import (
    authorization,
    booking,
    charge,
    claim,
    coding,
    contract,
    coverage,
    model,
    payer,
    payment,
    plan,
    pricing,
    provider,
    remittance,
)

metadata = new_metadata()
platform_tables(metadata)


def _enum(cls: type[enum.Enum]) -> Enum:
    """An enum kept as its value in a VARCHAR(16), the same on PostgreSQL and SQLite."""
    return Enum(cls, native_enum=False, length=16, validate_strings=True,
                values_callable=lambda members: [m.value for m in members])


accounts = Table(
    "accounts", metadata,
    Column("patient_id", String(64), primary_key=True),
    Column("state", _enum(model.AccountState), nullable=False),
    Column("merged_into", String(64)),
    Column("registered", Boolean, nullable=False),
    Column("preferred_location_id", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
Index("ix_accounts_merged_into", accounts.c.merged_into)

coverages = Table(
    "coverages", metadata,
    Column("coverage_id", String(64), primary_key=True),
    Column("patient_id", String(64), nullable=False),
    Column("payer_id", String(64), nullable=False),
    Column("member_id", String(64), nullable=False),
    Column("group_number", String(64), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("effective_date", Date),
    Column("end_date", Date),
    Column("plan_type", String(32), nullable=False),
    Column("subscriber_relationship", String(32), nullable=False),
)
Index("ix_coverages_patient_id", coverages.c.patient_id)

charges = Table(
    "charges", metadata,
    Column("charge_id", String(32), primary_key=True),
    Column("patient_id", String(64), nullable=False),
    Column("appointment_id", String(64)),
    Column("line_number", Integer),
    Column("source", _enum(model.ChargeSource), nullable=False),
    Column("procedure_code", String(16), nullable=False),
    Column("units", Integer, nullable=False),
    Column("modifiers", JSON, nullable=False),
    Column("diagnosis_codes", JSON, nullable=False),
    Column("service_date", Date, nullable=False),
    Column("location_id", String(64), nullable=False),
    Column("rendering_provider_id", String(64), nullable=False),
    Column("responsibility", _enum(model.Responsibility), nullable=False),
    Column("payer_id", String(64), nullable=False),
    Column("coverage_id", String(64), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("allowed_cents", BigInteger, nullable=False),
    Column("state", _enum(model.ChargeState), nullable=False),
    Column("void_reason", Text, nullable=False),
    Column("posted_at", UtcDateTime, nullable=False),
    Column("voided_at", UtcDateTime),
    Column("version", Integer, nullable=False),
    Column("drug_name", String(200), nullable=False, server_default=""),
    Column("ndc", String(13), nullable=False, server_default=""),
    Column("ndc_unit", String(2), nullable=False, server_default=""),
    Column("ndc_quantity", String(16), nullable=False, server_default=""),
    # The prior authorization the charge used, and why it is beyond it (0012).
    Column("prior_authorization_id", String(32), nullable=False, server_default=""),
    Column("authorization_problem", String(16), nullable=False, server_default=""),
    Column("authorization_problem_detail", Text, nullable=False, server_default=""),
    # A visit's line is charged once, however often its event arrives.
    UniqueConstraint("appointment_id", "line_number", name="uq_charges_appointment_line"),
)
Index("ix_charges_patient_date", charges.c.patient_id, charges.c.service_date, charges.c.charge_id)
Index("ix_charges_date", charges.c.service_date, charges.c.charge_id)

ledger_entries = Table(
    "ledger_entries", metadata,
    Column("entry_id", BigId, primary_key=True, autoincrement=True),
    Column("patient_id", String(64), nullable=False),
    Column("charge_id", String(32), ForeignKey("charges.charge_id")),
    Column("kind", _enum(model.EntryKind), nullable=False),
    Column("patient_cents", BigInteger, nullable=False),
    Column("insurance_cents", BigInteger, nullable=False),
    Column("posted_at", UtcDateTime, nullable=False),
    Column("claim_id", String(32)),
    Column("remittance_id", String(32)),
    Column("reason", String(64), nullable=False, server_default=""),
    Column("payment_id", String(32)),
    Column("write_off_id", String(32)),
    # A merge transfer's other account: the survivor on the merged one's entry and back.
    Column("counterpart_patient_id", String(64)),
)
Index("ix_ledger_entries_patient_id", ledger_entries.c.patient_id)
Index("ix_ledger_entries_remittance", ledger_entries.c.remittance_id)
Index("ix_ledger_entries_claim", ledger_entries.c.claim_id)

fee_schedule_entries = Table(
    "fee_schedule_entries", metadata,
    Column("procedure_code", String(16), primary_key=True),
    Column("description", String(200), nullable=False),
    Column("unit", _enum(pricing.BillingUnit), nullable=False),
    Column("kind", _enum(pricing.FeeKind), nullable=False),
    Column("list_price_cents", BigInteger, nullable=False),
    Column("self_pay_price_cents", BigInteger, nullable=False),
    Column("insurance_billable", Boolean, nullable=False),
    # The dates of service the entry prices, both ends included; open when null.
    Column("effective_from", Date),
    Column("effective_to", Date),
)

# Self-pay prices and policy fee amounts set over the API, by first date of service:
# only added, never changed (the fee_schedule_entries column is the price before any).
price_versions = Table(
    "price_versions", metadata,
    Column("version_id", String(32), primary_key=True),
    Column("procedure_code", String(16), ForeignKey("fee_schedule_entries.procedure_code"),
           nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(128), nullable=False),
    # SELF_PAY (a policy fee's amount too) or LIST (0016; the earlier versions are SELF_PAY).
    Column("price_kind", _enum(pricing.PriceKind), nullable=False, server_default="SELF_PAY"),
)
Index("ix_price_versions_code", price_versions.c.procedure_code, price_versions.c.effective_from,
      price_versions.c.version_id)

contracted_rates = Table(
    "contracted_rates", metadata,
    Column("rate_id", String(32), primary_key=True),
    Column("payer_id", String(64), nullable=False),
    Column("procedure_code", String(16), ForeignKey("fee_schedule_entries.procedure_code"),
           nullable=False),
    Column("modifier", String(2), nullable=False),
    Column("allowed_cents", BigInteger, nullable=False),
    Column("effective_from", Date),
    Column("effective_to", Date),
    Column("updated_at", UtcDateTime),
    Column("updated_by", String(128), nullable=False),
)
Index("ix_contracted_rates_code_payer", contracted_rates.c.procedure_code,
      contracted_rates.c.payer_id)
Index("ix_contracted_rates_payer", contracted_rates.c.payer_id, contracted_rates.c.procedure_code,
      contracted_rates.c.rate_id)

# Retired: contracted_rates replaced it (migration 0007). Kept, unread, while the release
# before 0007 may still run against this schema; a later contract step drops it.
payer_rates = Table(
    "payer_rates", metadata,
    Column("procedure_code", String(16), ForeignKey("fee_schedule_entries.procedure_code"),
           primary_key=True),
    Column("payer_id", String(64), primary_key=True),
    Column("allowed_cents", BigInteger, nullable=False),
)

payers = Table(
    "payers", metadata,
    Column("payer_id", String(64), primary_key=True),
    Column("display_name", String(200), nullable=False),
    Column("kind", _enum(coding.PayerKind), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String(128), nullable=False),
    # The codes the payer pays only with a prior authorization (0012); null is none.
    Column("prior_authorization_codes", JSON),
)

# The billing provider, as dated versions only added (0016); none: the settings'.
billing_provider_versions = Table(
    "billing_provider_versions", metadata,
    Column("version_id", String(32), primary_key=True),
    Column("organization_name", String(60), nullable=False),
    Column("npi", String(10), nullable=False),
    Column("tax_id", String(9), nullable=False),
    Column("taxonomy_code", String(10), nullable=False),
    Column("street", String(55), nullable=False),
    Column("city", String(30), nullable=False),
    Column("state", String(2), nullable=False),
    Column("postal_code", String(9), nullable=False),
    Column("phone", String(10), nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(128), nullable=False),
)
Index("ix_billing_provider_versions_effective", billing_provider_versions.c.effective_from,
      billing_provider_versions.c.version_id)

# Rendering providers by staff id (0016): their names and NPIs for the 837P.
rendering_providers = Table(
    "rendering_providers", metadata,
    Column("staff_id", String(64), primary_key=True),
    Column("first_name", String(35), nullable=False),
    Column("last_name", String(60), nullable=False),
    Column("credentials", String(20), nullable=False),
    Column("npi", String(10), nullable=False),
    Column("taxonomy_code", String(10), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String(128), nullable=False),
)

plan_facts = Table(
    "plan_facts", metadata,
    Column("plan_id", String(64), primary_key=True),
    Column("patient_id", String(64), nullable=False),
    Column("modality", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Column("indication_code", String(16), nullable=False),
    Column("dose_mcg", BigInteger, nullable=False),
    Column("duration_minutes", Integer, nullable=False),
    Column("ended", Boolean, nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
)
Index("ix_plan_facts_patient_id", plan_facts.c.patient_id)

claims = Table(
    "claims", metadata,
    Column("claim_id", String(32), primary_key=True),
    Column("patient_id", String(64), nullable=False),
    Column("coverage_id", String(64), nullable=False),
    Column("payer_id", String(64), nullable=False),
    Column("service_date", Date, nullable=False),
    Column("state", _enum(claim.ClaimState), nullable=False),
    Column("charge_ids", JSON, nullable=False),
    Column("total_charge_cents", BigInteger, nullable=False),
    Column("total_allowed_cents", BigInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String(128), nullable=False),
    Column("subscriber", JSON),
    Column("void_reason", Text, nullable=False, server_default=""),
    Column("batch_id", String(32), nullable=False, server_default=""),
    # Its lines beyond their prior authorization, as the charges were posted (0012).
    Column("authorization_issues", JSON),
    # The payer's own number for it, from the 277CA acknowledgement; why it was closed (0013).
    Column("payer_claim_number", String(50), nullable=False, server_default=""),
    Column("close_reason", Text, nullable=False, server_default=""),
    # A secondary claim's primary and the primary's decision it carries (0013).
    Column("primary_claim_id", String(32), nullable=False, server_default=""),
    Column("cob", JSON),
)
Index("ix_claims_patient_date", claims.c.patient_id, claims.c.service_date, claims.c.claim_id)
Index("ix_claims_date", claims.c.service_date, claims.c.claim_id)
Index("ix_claims_primary", claims.c.primary_claim_id)

# Every step of every claim, appended and never changed (0013).
claim_transitions = Table(
    "claim_transitions", metadata,
    Column("transition_id", BigId, primary_key=True, autoincrement=True),
    Column("claim_id", String(32), nullable=False),
    Column("from_state", String(16), nullable=False),
    Column("to_state", _enum(claim.ClaimState), nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("note", Text, nullable=False),
    Column("reference", String(64), nullable=False),
    Column("effective_date", Date),
)
Index("ix_claim_transitions_claim", claim_transitions.c.claim_id,
      claim_transitions.c.transition_id)

# A charge is on one claim at most: the key says so, also under concurrency.
claim_lines = Table(
    "claim_lines", metadata,
    Column("charge_id", String(32), ForeignKey("charges.charge_id"), primary_key=True),
    Column("claim_id", String(32), ForeignKey("claims.claim_id"), nullable=False),
    Column("line_number", Integer, nullable=False),
)
Index("ix_claim_lines_claim_id", claim_lines.c.claim_id)

# One 837P interchange per batch; its control number (ISA13 = GS06) is never reused.
claim_batches = Table(
    "claim_batches", metadata,
    Column("batch_id", String(32), primary_key=True),
    Column("control_number", BigInteger, nullable=False),
    Column("claim_ids", JSON, nullable=False),
    Column("content", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(128), nullable=False),
    UniqueConstraint("control_number", name="uq_claim_batches_control_number"),
    # The billing provider version the file went out from (0016); null: the settings'.
    Column("billing_provider_version_id", String(32)),
)

# An imported 835: the same file (hash) or the same payer trace (TRN) is imported once.
remittances = Table(
    "remittances", metadata,
    Column("remittance_id", String(32), primary_key=True),
    Column("content_sha256", String(64), nullable=False),
    Column("trace_number", String(64), nullable=False),
    Column("trace_originator", String(64), nullable=False),
    Column("payer_id", String(64), nullable=False),
    Column("payer_name", String(200), nullable=False),
    Column("payee_id", String(64), nullable=False),
    Column("deposit_cents", BigInteger, nullable=False),
    Column("payment_method", String(8), nullable=False),
    Column("payment_date", Date),
    Column("provider_adjustments", JSON, nullable=False),
    Column("content", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(128), nullable=False),
    UniqueConstraint("content_sha256", name="uq_remittances_content_sha256"),
    UniqueConstraint("trace_originator", "trace_number", name="uq_remittances_trace"),
)

remittance_claims = Table(
    "remittance_claims", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("remittance_id", String(32), ForeignKey("remittances.remittance_id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("claim_ref", String(64), nullable=False),
    Column("claim_id", String(32)),
    Column("patient_id", String(64), nullable=False),
    Column("payer_id", String(64), nullable=False),
    Column("status", String(4), nullable=False),
    Column("charge_cents", BigInteger, nullable=False),
    Column("paid_cents", BigInteger, nullable=False),
    Column("patient_cents", BigInteger, nullable=False),
    Column("payer_claim_number", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("adjustments", JSON, nullable=False),
    Column("posted_at", UtcDateTime, nullable=False),
    Column("reverses_id", BigInteger),
)
Index("ix_remittance_claims_remittance", remittance_claims.c.remittance_id,
      remittance_claims.c.position)
Index("ix_remittance_claims_claim", remittance_claims.c.claim_id)

suspense_items = Table(
    "suspense_items", metadata,
    Column("item_id", String(32), primary_key=True),
    Column("remittance_id", String(32), nullable=False),
    Column("claim_ref", String(64), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("detail", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("applied_to", String(128), nullable=False),
    Column("applied_at", UtcDateTime),
    Column("applied_by", String(128), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

denials = Table(
    "denials", metadata,
    Column("denial_id", String(32), primary_key=True),
    Column("claim_id", String(32), nullable=False),
    Column("patient_id", String(64), nullable=False),
    Column("payer_id", String(64), nullable=False),
    Column("remittance_id", String(32), nullable=False),
    Column("reason_codes", JSON, nullable=False),
    Column("remark_codes", JSON, nullable=False),
    Column("denied_cents", BigInteger, nullable=False),
    Column("state", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)
Index("ix_denials_claim", denials.c.claim_id)

payments = Table(
    "payments", metadata,
    Column("payment_id", String(32), primary_key=True),
    Column("patient_id", String(64), nullable=False),
    Column("kind", _enum(payment.PaymentKind), nullable=False),
    Column("method", _enum(payment.PaymentMethod), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("reference", String(200), nullable=False),
    Column("location_id", String(200), nullable=False),
    Column("reason", String(200), nullable=False),
    Column("refunds_payment_id", String(32)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(128), nullable=False),
)
Index("ix_payments_patient", payments.c.patient_id, payments.c.payment_id)
Index("ix_payments_refunds", payments.c.refunds_payment_id)

write_offs = Table(
    "write_offs", metadata,
    Column("write_off_id", String(32), primary_key=True),
    Column("patient_id", String(64), nullable=False),
    Column("responsibility", _enum(model.Responsibility), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("reason", String(200), nullable=False),
    Column("approver_id", String(200), nullable=False),
    Column("claim_id", String(32)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(128), nullable=False),
)
Index("ix_write_offs_patient", write_offs.c.patient_id)

prior_authorizations = Table(
    "prior_authorizations", metadata,
    Column("prior_authorization_id", String(32), primary_key=True),
    Column("patient_id", String(64), nullable=False),
    Column("payer_id", String(64), nullable=False),
    Column("authorization_number", String(50), nullable=False),
    Column("procedure_codes", JSON, nullable=False),
    Column("units_authorized", Integer, nullable=False),
    Column("units_used", Integer, nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("state", _enum(authorization.AuthorizationState), nullable=False),
    Column("note", Text, nullable=False),
    Column("void_reason", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String(128), nullable=False),
    # The units the patient's upcoming bookings are expected to use of it (0015).
    Column("units_scheduled", Integer, nullable=False, server_default="0"),
)
Index("ix_prior_authorizations_patient", prior_authorizations.c.patient_id,
      prior_authorizations.c.end_date, prior_authorizations.c.prior_authorization_id)
Index("ix_prior_authorizations_end", prior_authorizations.c.end_date,
      prior_authorizations.c.prior_authorization_id)

# A charge uses one authorization once: the key is the charge, whatever redelivers its event.
prior_authorization_uses = Table(
    "prior_authorization_uses", metadata,
    Column("charge_id", String(32), ForeignKey("charges.charge_id"), primary_key=True),
    Column("prior_authorization_id", String(32), nullable=False),
    Column("units", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("released_at", UtcDateTime),
)
Index("ix_prior_authorization_uses_authorization",
      prior_authorization_uses.c.prior_authorization_id)

# Upcoming treatment bookings, from scheduling's appointment events (0015).
bookings = Table(
    "bookings", metadata,
    Column("appointment_id", String(64), primary_key=True),
    Column("patient_id", String(64), nullable=False),
    Column("start_time", UtcDateTime, nullable=False),
    Column("service_date", Date, nullable=False),
    Column("location_id", String(64), nullable=False),
    Column("appointment_type", String(64), nullable=False),
    Column("series_id", String(64), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("state", _enum(booking.BookingState), nullable=False),
    Column("payer_id", String(64), nullable=False),
    Column("lines", JSON, nullable=False),
    Column("prior_authorization_id", String(32), nullable=False),
    Column("authorization_problem", String(16), nullable=False),
    Column("authorization_problem_detail", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
Index("ix_bookings_patient", bookings.c.patient_id, bookings.c.state)
Index("ix_bookings_flagged", bookings.c.state, bookings.c.authorization_problem,
      bookings.c.service_date, bookings.c.appointment_id)

mapper_registry = registry(metadata=metadata)
_mapped = False


def start_mappers() -> None:
    """Map domain classes to tables, once per process. Fee schedule entries are read as rows."""
    global _mapped
    if _mapped:
        return
    mapper_registry.map_imperatively(model.Account, accounts)
    mapper_registry.map_imperatively(coverage.Coverage, coverages)
    mapper_registry.map_imperatively(charge.Charge, charges, version_id_col=charges.c.version)
    mapper_registry.map_imperatively(model.LedgerEntry, ledger_entries)
    mapper_registry.map_imperatively(payer.Payer, payers)
    mapper_registry.map_imperatively(booking.Booking, bookings)
    mapper_registry.map_imperatively(plan.PlanFacts, plan_facts)
    mapper_registry.map_imperatively(contract.ContractedRate, contracted_rates)
    mapper_registry.map_imperatively(claim.Claim, claims)
    mapper_registry.map_imperatively(claim.ClaimLine, claim_lines)
    mapper_registry.map_imperatively(claim.ClaimTransition, claim_transitions)
    mapper_registry.map_imperatively(claim.ClaimBatch, claim_batches)
    mapper_registry.map_imperatively(remittance.Remittance, remittances)
    mapper_registry.map_imperatively(remittance.RemittanceClaim, remittance_claims)
    mapper_registry.map_imperatively(remittance.SuspenseItem, suspense_items)
    mapper_registry.map_imperatively(remittance.Denial, denials)
    mapper_registry.map_imperatively(payment.Payment, payments)
    mapper_registry.map_imperatively(payment.WriteOff, write_offs)
    mapper_registry.map_imperatively(authorization.PriorAuthorization, prior_authorizations)
    mapper_registry.map_imperatively(authorization.AuthorizationUse, prior_authorization_uses)
    mapper_registry.map_imperatively(pricing.PriceVersion, price_versions)
    mapper_registry.map_imperatively(provider.BillingProviderVersion, billing_provider_versions)
    mapper_registry.map_imperatively(provider.RenderingProvider, rendering_providers)
    _mapped = True
