"""Importing and posting a large 835: RemittanceService.ImportRemittance through the real server.

Setup writes ``claims`` submitted claims straight into billing's tables (accounts,
coverages, charges with their ledger entries, claims and claim lines, as ExportClaims
would leave them: fast, and exactly what the import matches by CLP01 and REF*6R). Then
an 835 answering them (paid, partially paid with coinsurance and contractual CAS, denied,
a few CLP01s naming no claim, and a PLB) is sent once to a billing process and timed.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path

import grpc
from clinic.billing.v1 import remittance_service_pb2 as remit_pb
from clinic.billing.v1 import remittance_service_pb2_grpc as remit_grpc
from clinic_billing.adapters import orm
from clinic_billing.adapters.x12_837 import dollars
from clinic_billing.bootstrap import build_spec
from clinic_billing.config import BillingSettings
from clinic_common.config import KafkaSettings
from clinic_common.identity import Role
from clinic_common.publisher import InMemoryPublisher
from clinic_common.runtime import Runtime
from clinic_devtools.testing import auth
from clinic_devtools.testing.processes import ServiceProcess
from sqlalchemy import create_engine

from benchmarks.harness import peak_memory_mb, tree_cpu_seconds

PAYER = "60054"
SERVICE_DAY = dt.date(2026, 3, 10)
NOW = dt.datetime(2026, 3, 20, 12, tzinfo=dt.UTC)
MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # the client's; billing's default 10 MiB takes 40,000
CHUNK = 2000  # rows per INSERT of the setup


@dataclass(frozen=True)
class Result:
    claims: int
    file_bytes: int
    seconds: float
    cpu_seconds: float
    peak_mb: float
    posted: int
    suspended: int
    response_bytes: int

    @property
    def rate(self) -> float:
        return self.claims / self.seconds

    def line(self) -> str:
        return (f"{self.claims:,} claims ({self.file_bytes / 1024 / 1024:.1f} MiB 835): "
                f"{self.seconds:.1f} s, {self.rate:,.0f} claims/s, {self.cpu_seconds:.1f} s "
                f"service CPU, peak {self.peak_mb:.0f} MiB; {self.posted:,} posted, "
                f"{self.suspended:,} suspended; response {self.response_bytes / 1024:.0f} KiB")


def _claim_id(n: int) -> str:
    return f"bc{n:08d}"


def _patient(n: int) -> str:
    return f"bp{n // 2:07d}"  # two claims per patient


def _lines(n: int) -> list[tuple[str, str, int, int]]:
    """(charge id, code, units, cents) of claim n: an E/M visit, every other one with a drug."""
    lines = [(f"bh{n:08d}1", "99213", 1, 15000)]
    if n % 2:
        lines.append((f"bh{n:08d}2", "J0013", 56, 56 * 1600))
    return lines


def seed(url: str, claims: int) -> None:
    """Migrates billing's database at ``url`` and writes ``claims`` submitted claims."""
    settings = BillingSettings(database_url=url)
    runtime = Runtime(build_spec(settings), settings, KafkaSettings(),
                      publisher=InMemoryPublisher())
    runtime.migrate()
    runtime.engine.dispose()
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(orm.payers.insert(), [dict(
                payer_id=PAYER, display_name="Aetna", kind="COMMERCIAL", created_at=NOW,
                updated_at=NOW, updated_by="bench")])
            for start in range(0, claims, CHUNK):
                _seed_chunk(connection, range(start, min(claims, start + CHUNK)))
    finally:
        engine.dispose()


def _seed_chunk(connection, numbers: range) -> None:
    accounts, coverages, charges, entries, claims, lines = [], [], [], [], [], []
    for n in numbers:
        patient = _patient(n)
        if n % 2 == 0:
            accounts.append(dict(patient_id=patient, state="ACTIVE", merged_into=None,
                                 registered=True, preferred_location_id="carlsbad",
                                 created_at=NOW, updated_at=NOW))
            coverages.append(dict(coverage_id=f"cov-{patient}", patient_id=patient,
                                  payer_id=PAYER, member_id=f"M{n}", group_number="G1",
                                  priority=1, effective_date=dt.date(2025, 1, 1), end_date=None,
                                  plan_type="PPO", subscriber_relationship="SELF"))
        charge_ids = []
        for number, (charge_id, code, units, cents) in enumerate(_lines(n), start=1):
            charge_ids.append(charge_id)
            charges.append(dict(
                charge_id=charge_id, patient_id=patient, appointment_id=f"ba{n:08d}",
                line_number=number, source="VISIT", procedure_code=code, units=units,
                modifiers=[], diagnosis_codes=["F33.2"], service_date=SERVICE_DAY,
                location_id="carlsbad", rendering_provider_id="dr-lee",
                responsibility="INSURANCE", payer_id=PAYER, coverage_id=f"cov-{patient}",
                amount_cents=cents, allowed_cents=cents * 6 // 10, state="POSTED",
                void_reason="", posted_at=NOW, voided_at=None, version=1))
            entries.append(dict(patient_id=patient, charge_id=charge_id, kind="CHARGE",
                                patient_cents=0, insurance_cents=cents, posted_at=NOW,
                                claim_id=None, remittance_id=None, reason=""))
            lines.append(dict(charge_id=charge_id, claim_id=_claim_id(n), line_number=number))
        total = sum(cents for *_, cents in _lines(n))
        claims.append(dict(
            claim_id=_claim_id(n), patient_id=patient, coverage_id=f"cov-{patient}",
            payer_id=PAYER, service_date=SERVICE_DAY, state="SUBMITTED", charge_ids=charge_ids,
            total_charge_cents=total, total_allowed_cents=total * 6 // 10, created_at=NOW,
            updated_at=NOW, updated_by="bench", subscriber=None, void_reason="",
            batch_id="bench"))
    for table, rows in ((orm.accounts, accounts), (orm.coverages, coverages),
                        (orm.charges, charges), (orm.ledger_entries, entries),
                        (orm.claims, claims), (orm.claim_lines, lines)):
        if rows:
            connection.execute(table.insert(), rows)


# What the payer did with claim n, by n % 20: 14 paid in full (contractual CO-45 taking the
# rest to the allowed amount), 4 partially paid with coinsurance (PR-2) and a line paid
# nothing, 2 denied (CO-50). Every 500th CLP01 names no claim of ours (suspense).
def era(claims: int, *, trace: str = "BENCH1") -> str:
    d8 = "20260401"
    body: list[list[str]] = []
    paid_total = 0
    for n in range(claims):
        kind = n % 20
        ref = _claim_id(n) if n % 500 != 499 else f"zz{n:08d}"
        clp_lines, clp_paid, clp_patient = [], 0, 0
        status = "1"
        for index, (charge_id, code, units, cents) in enumerate(_lines(n)):
            allowed = cents * 6 // 10
            if kind < 14:
                paid, cas = allowed, [("CO", "45", cents - allowed)]
            elif kind < 18:
                coinsurance = allowed // 5
                if index == 1:
                    paid, cas = 0, [("CO", "45", cents - allowed), ("PR", "1", allowed)]
                    coinsurance = allowed
                else:
                    paid = allowed - coinsurance
                    cas = [("CO", "45", cents - allowed), ("PR", "2", coinsurance)]
                clp_patient += coinsurance
            else:
                status, paid, cas = "4", 0, [("CO", "50", cents)]
            clp_paid += paid
            clp_lines.append((charge_id, code, units, cents, paid, cas, allowed))
        paid_total += clp_paid
        charge_total = sum(cents for *_, cents in _lines(n))
        body.append(["CLP", ref, status, dollars(charge_total), dollars(clp_paid),
                     dollars(clp_patient) if clp_patient else "", "12", f"PCN{n}"])
        body.append(["NM1", "QC", "1", "DOE", "JANE", "", "", "", "MI", f"M{n}"])
        if status == "4":
            body.append(["MOA", "", "", "N115"])
        for charge_id, code, units, cents, paid, cas, allowed in clp_lines:
            body.append(["SVC", f"HC:{code}", dollars(cents), dollars(paid), "", str(units)])
            body.append(["DTM", "472", SERVICE_DAY.strftime("%Y%m%d")])
            groups: dict[str, list[str]] = {}
            for group, reason, amount in cas:
                groups.setdefault(group, []).extend([reason, dollars(amount), ""])
            body += [["CAS", group, *values] for group, values in groups.items()]
            body.append(["REF", "6R", charge_id])
            body.append(["AMT", "B6", dollars(allowed)])
    plb = 2500  # an interest payment taken back, say: the deposit is CLP04 sum - PLB
    body.append(["PLB", "1234567893", "20261231", "WO:BENCH", dollars(plb)])
    head = [
        ["BPR", "I", dollars(paid_total - plb), "C", "CHK", "", "", "", "", "", "", "", "", "",
         "", "", d8],
        ["TRN", "1", trace, "1512345678"],
        ["DTM", "405", d8],
        ["N1", "PR", "AETNA"],
        ["N3", "1 PAYER WAY"],
        ["N4", "HARTFORD", "CT", "06101"],
        ["REF", "2U", PAYER],
        ["PER", "BL", "EDI", "TE", "8005551212"],
        ["N1", "PE", "CLINIC GROUP", "XX", "1234567893"],
        ["LX", "1"],
    ]
    st = [["ST", "835", "0001"], *head, *body]
    st.append(["SE", str(len(st) + 1), "0001"])
    isa = ["ISA", "00", " " * 10, "00", " " * 10, "ZZ", "AETNA".ljust(15), "ZZ",
           "CLINICGROUP".ljust(15), "260401", "1200", "^", "00501", "000000777", "0", "P", ":"]
    gs = ["GS", "HP", "AETNA", "CLINICGROUP", d8, "1200", "777", "X", "005010X221A1"]
    segments = [isa, gs, *st, ["GE", "1", "777"], ["IEA", "1", "000000777"]]
    return "".join("*".join(_trim(s)) + "~\n" for s in segments)


def _trim(segment: list[str]) -> list[str]:
    while len(segment) > 1 and segment[-1] == "":
        segment = segment[:-1]
    return segment


def import_once(url: str, claims: int, log_dir: Path) -> Result:
    """Seeds ``claims`` claims at ``url``, starts billing on it and times one import."""
    seed(url, claims)
    content = era(claims).encode("ascii")
    service = ServiceProcess("billing", {
        "BILLING_DATABASE_URL": url, "BILLING_LOG_LEVEL": "WARNING",
        "BILLING_CONSUME_EVENTS": "false",
        "KAFKA_TOPIC_PREFIX": f"bench{time.time_ns()}."}, log_dir).start(90)
    try:
        options = [("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                   ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES)]
        with grpc.insecure_channel(service.address, options=options) as channel:
            stub = remit_grpc.RemittanceServiceStub(channel)
            metadata = auth.metadata(Role.BILLING, sub="bench-billing")
            cpu_before = tree_cpu_seconds(service.process.pid)
            started = time.perf_counter()
            answer = stub.ImportRemittance(remit_pb.ImportRemittanceRequest(
                content=content, request_id=f"bench-{claims}"), metadata=metadata, timeout=3600)
            seconds = time.perf_counter() - started
            cpu = tree_cpu_seconds(service.process.pid) - cpu_before
            memory = peak_memory_mb(service.process.pid)
    finally:
        service.terminate()
    return Result(claims, len(content), seconds, cpu, memory,
                  sum(1 for c in answer.remittance.claims if c.claim),
                  len(answer.remittance.suspense_items), answer.ByteSize())


def suite(kinds: list[str], url, claims: int, log_dir: Path, say) -> None:
    """One import of ``claims`` claims, then 2x and 4x, per database, and how time grows."""
    for kind in kinds:
        results = []
        for factor in (1, 2, 4):
            result = import_once(url(kind, f"remit{factor}"), claims * factor, log_dir)
            say(f"[{kind}] ImportRemittance {result.line()}")
            results.append(result)
        first = results[0]
        say(f"[{kind}] ImportRemittance growth: 2x the claims took "
            f"{results[1].seconds / first.seconds:.2f}x the time "
            f"({results[1].cpu_seconds / first.cpu_seconds:.2f}x the CPU), 4x took "
            f"{results[2].seconds / first.seconds:.2f}x "
            f"({results[2].cpu_seconds / first.cpu_seconds:.2f}x the CPU); linear is 2x, 4x")
