"""The clinic command's scheduling and billing jobs against a stand-in server (what each
subcommand asks for, how it prints it, refusals and exit codes) and, where cheap,
against scheduling and billing in-process."""

import datetime as dt
import json
from concurrent import futures
from pathlib import Path
from zoneinfo import ZoneInfo

import grpc
import pytest
from clinic_client.calls import method_types
from clinic_client.cli import app
from clinic_common.identity import Role
from clinic_devtools.testing import auth
from clinic_devtools.testing.servers import running
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status
from typer.testing import CliRunner

from tests.scheduling.integration import conftest as scheduling_conftest
from tests.scheduling.integration.conftest import database_url  # noqa: F401 - SQLite and PostgreSQL

S = "clinic.scheduling.v1"
B = "clinic.billing.v1"


class StandIn:
    """Answers each method with ``answers[method](request)`` (a dict or a status to abort
    with) and keeps every request it got."""

    def __init__(self, answers):
        self.answers = answers
        self.requests: list[tuple[str, object]] = []

    def handler(self, method):
        request_class, response_class, _ = method_types(method)

        def serve(request, context):
            self.requests.append((method.rsplit("/", 1)[1], request))
            answer = self.answers[method](request)
            if isinstance(answer, grpc.Status):
                context.abort_with_status(answer)
            return response_class(**answer)

        return grpc.unary_unary_rpc_method_handler(serve, request_class.FromString,
                                                   response_class.SerializeToString)

    def of(self, name):
        return [request for method, request in self.requests if method == name]


@pytest.fixture
def stand_in():
    servers = []

    def start(answers):
        fake = StandIn(answers)
        by_service: dict = {}
        for method in answers:
            service, _, name = method.partition("/")
            by_service.setdefault(service, {})[name] = fake.handler(method)
        server = grpc.server(futures.ThreadPoolExecutor(2), options=[  # as billing may be set
            ("grpc.max_receive_message_length", 64 * 1024 * 1024)])
        server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(s, h)
                                         for s, h in by_service.items()])
        fake.address = f"127.0.0.1:{server.add_insecure_port('127.0.0.1:0')}"
        server.start()
        servers.append(server)
        return fake

    yield start
    for server in servers:
        server.stop(0)


def clinic(address, *args, roles=(Role.FRONT_DESK,)):
    env = {f"CLINIC_{svc}_ADDRESS": address for svc in ("INTAKE", "SCHEDULING", "BILLING")}
    env.update({"CLINIC_TOKEN": auth.token(*roles), "CLINIC_TOKEN_FILE": "",
                "CLINIC_DEADLINE_SECONDS": "5", "COLUMNS": "200"})
    return CliRunner().invoke(app, [str(a) for a in args], env=env)


def _refusal(code, reason):
    detail = any_pb2.Any()
    detail.Pack(error_details_pb2.ErrorInfo(reason=reason, metadata={"correlation_id": "c-9"}))
    return rpc_status.to_status(status_pb2.Status(code=code, message="no room then",
                                                  details=[detail]))


def _appointment(request):
    a = request.appointment
    return {"appointment": {"name": f"locations/{a.location_id}/appointments/a{a.start_time.seconds}",
                            "location_id": a.location_id, "patient_id": a.patient_id,
                            "start_time": a.start_time, "status": "APPOINTMENT_STATUS_BOOKED"}}


def test_availability_search_asks_for_the_range_and_locations_and_prints_the_times(stand_in):
    slot = {"location_id": "encinitas", "local_start_time": "2026-12-01T09:00",
            "time_zone": "America/Los_Angeles", "resource_ids": ["chair-1"]}
    fake = stand_in({f"{S}.AvailabilityService/SearchAvailability": lambda r: {"slots": [slot]}})
    result = clinic(fake.address, "availability", "search", "IVK-INF", "--location", "la-jolla",
                    "--location", "encinitas", "--from", "2026-12-01", "--days", "3",
                    "--patient", "p1")
    assert result.exit_code == 0, result.output
    assert "encinitas" in result.stdout and "2026-12-01T09:00" in result.stdout
    (request,) = fake.of("SearchAvailability")
    assert (request.appointment_type, list(request.location_ids), request.patient_id) == \
        ("IVK-INF", ["la-jolla", "encinitas"], "p1")
    assert (request.start_date.day, request.end_date.day) == (1, 3)
    as_json = clinic(fake.address, "--json", "availability", "search", "IVK-INF")
    assert json.loads(as_json.stdout)[0]["resource_ids"] == ["chair-1"]


def _series(request, appointments=2):
    patient = request.parent.split("/")[1]
    return {"series": {
        "name": f"{request.parent}/series/s1", "series_id": "s1", "patient_id": patient,
        "appointment_type": request.appointment_type, "booked_count": appointments,
        "appointments": [{"name": f"locations/la-jolla/appointments/a{n}",
                          "appointment_id": f"a{n}", "series_id": "s1",
                          "status": "APPOINTMENT_STATUS_BOOKED"}
                         for n in range(1, appointments + 1)]}}


def test_a_course_is_booked_whole_through_book_series_with_the_preferences(stand_in):
    fake = stand_in({f"{S}.SeriesService/BookSeries": _series,
                     f"{S}.AppointmentService/CreateAppointment": _appointment})
    result = clinic(fake.address, "-q", "series", "book", "p1", "--type", "IV_KETAMINE_INFUSION",
                    "--location", "encinitas", "--location", "la-jolla", "--from", "2026-12-01",
                    "--weekday", "1", "--weekday", "3", "--earliest", "09:30", "--latest", "15:00")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "patients/p1/series/s1"
    (request,) = fake.of("BookSeries")  # one call: all sessions or none, never a loop
    assert fake.of("CreateAppointment") == []
    prefs = request.preferences
    assert (request.parent, request.appointment_type) == ("patients/p1", "IV_KETAMINE_INFUSION")
    assert list(prefs.location_ids) == ["encinitas", "la-jolla"]
    assert list(prefs.weekdays) == [1, 3]
    assert (prefs.earliest_start_time.hours, prefs.earliest_start_time.minutes) == (9, 30)
    assert (prefs.latest_start_time.hours, prefs.start_date.day) == (15, 1)
    assert request.request_id  # a retry books the same series
    table = clinic(fake.address, "series", "book", "p1", "--type", "IV_KETAMINE_INFUSION")
    assert table.exit_code == 0, table.output
    assert "sessions" in table.stdout and "a2" in table.stdout
    assert not fake.of("BookSeries")[1].preferences.HasField("start_date")


def test_a_course_that_does_not_fit_books_nothing_and_says_which_session(stand_in):
    fake = stand_in({f"{S}.SeriesService/BookSeries": lambda r: _refusal(
        code_pb2.FAILED_PRECONDITION, "SERIES_DOES_NOT_FIT")})
    result = clinic(fake.address, "series", "book", "p1", "--type", "IV_KETAMINE_INFUSION")
    assert result.exit_code == 3
    assert "SERIES_DOES_NOT_FIT" in result.stderr and "c-9" in result.stderr
    assert result.stdout == ""
    bad = clinic(fake.address, "series", "book", "p1", "--type", "T", "--earliest", "9am")
    assert bad.exit_code == 2 and len(fake.of("BookSeries")) == 1


def test_appointment_book_books_one_visit_and_sends_a_course_to_series_book(stand_in):
    fake = stand_in({f"{S}.AppointmentService/CreateAppointment": _appointment})
    one = clinic(fake.address, "-q", "appointment", "book", "p1", "--location", "la-jolla",
                 "--type", "IVK-INF", "--start", "2026-12-01T17:00:00Z", "--resource", "chair-2")
    assert one.exit_code == 0, one.output
    (request,) = fake.of("CreateAppointment")
    assert (request.parent, list(request.appointment.resource_ids)) == \
        ("locations/la-jolla", ["chair-2"])
    assert request.appointment.start_time.ToDatetime() == dt.datetime(2026, 12, 1, 17)
    course = clinic(fake.address, "appointment", "book", "p1", "--location", "la-jolla",
                    "--type", "IVK-INF", "--start", "2026-12-01T17:00:00Z", "--count", "3")
    assert course.exit_code == 2 and "series book" in course.output
    assert len(fake.of("CreateAppointment")) == 1  # nothing booked one by one


def test_series_show_list_and_rebook(stand_in):
    moved = {"appointment": {"name": "locations/la-jolla/appointments/a2",
                             "appointment_id": "a2", "status": "APPOINTMENT_STATUS_BOOKED"}}
    fake = stand_in({
        f"{S}.SeriesService/GetSeries": lambda r: _series(
            type("R", (), {"parent": r.name.rsplit("/series/", 1)[0],
                           "appointment_type": "TMS"})()),
        f"{S}.SeriesService/ListSeries": lambda r: {"series": [
            {"name": f"{r.parent}/series/s1", "series_id": "s1", "appointment_type": "TMS"}]},
        f"{S}.SeriesService/RebookSeriesSession": lambda r: moved})
    shown = clinic(fake.address, "--json", "series", "show", "s1", "--patient", "p1")
    assert shown.exit_code == 0, shown.output
    body = json.loads(shown.stdout)
    assert [a["appointment_id"] for a in body["appointments"]] == ["a1", "a2"]
    assert body["completed_count"] == 0  # a zero count is shown
    assert fake.of("GetSeries")[0].name == "patients/p1/series/s1"
    assert clinic(fake.address, "series", "show", "patients/p1/series/s1").exit_code == 0
    assert clinic(fake.address, "series", "show", "s1").exit_code == 2  # whose series?
    listed = clinic(fake.address, "-q", "series", "list", "p1")
    assert listed.stdout.split() == ["patients/p1/series/s1"]
    rebooked = clinic(fake.address, "series", "rebook", "a2", "--next-available")
    assert rebooked.exit_code == 0, rebooked.output
    request = fake.of("RebookSeriesSession")[0]
    assert (request.name, request.next_available) == ("locations/-/appointments/a2", True)
    at = clinic(fake.address, "series", "rebook", "a2", "--start", "2026-12-03T17:00:00Z")
    assert at.exit_code == 0
    assert fake.of("RebookSeriesSession")[1].start_time.ToDatetime() == dt.datetime(2026, 12, 3, 17)
    assert clinic(fake.address, "series", "rebook", "a2").exit_code == 2


def test_a_refused_booking_prints_reason_and_correlation_id_and_exits_3(stand_in):
    fake = stand_in({f"{S}.AppointmentService/CreateAppointment": lambda r: _refusal(
        code_pb2.FAILED_PRECONDITION, "SLOT_TAKEN")})
    result = clinic(fake.address, "appointment", "book", "p1", "--location", "la-jolla",
                    "--type", "IVK-INF", "--start", "2026-12-01T17:00:00Z")
    assert result.exit_code == 3
    assert "SLOT_TAKEN" in result.stderr and "c-9" in result.stderr
    naive = clinic(fake.address, "appointment", "book", "p1", "--location", "la-jolla",
                   "--type", "IVK-INF", "--start", "2026-12-01T09:00")
    assert naive.exit_code == 2


def test_day_and_visit_steps_name_the_appointment(stand_in):
    appointment = {"appointment": {"name": "locations/la-jolla/appointments/a1", "appointment_id": "a1",
                                   "status": "APPOINTMENT_STATUS_CHECKED_IN"}}
    fake = stand_in({
        f"{S}.LocationService/GetLocation": lambda r: {"location": {
            "name": r.name, "time_zone": "America/Los_Angeles"}},
        f"{S}.AppointmentService/ListAppointments": lambda r: {"appointments": [
            appointment["appointment"]]},
        f"{S}.VisitService/CheckInAppointment": lambda r: appointment,
        f"{S}.VisitService/RecordVisitVitals": lambda r: {**appointment,
                                                         "alerts": ["SYSTOLIC_HIGH"]}})
    day = clinic(fake.address, "day", "la-jolla", "--date", "2026-12-01", "--staff", "rn-1")
    assert day.exit_code == 0 and "a1" in day.stdout
    (listed,) = fake.of("ListAppointments")
    assert (listed.parent, listed.start_date, listed.rendering_staff_id) == \
        ("locations/la-jolla", listed.end_date, "rn-1")
    assert listed.staff_member_id == ""
    mine = clinic(fake.address, "day", "la-jolla", "--date", "2026-12-01", "--assigned", "rn-2")
    assert mine.exit_code == 0 and "a1" in mine.stdout
    assigned = fake.of("ListAppointments")[-1]
    assert (assigned.staff_member_id, assigned.rendering_staff_id) == ("rn-2", "")
    checked = clinic(fake.address, "visit", "check-in", "a1", "--escort", "--fasting")
    assert checked.exit_code == 0, checked.output
    (check_in,) = fake.of("CheckInAppointment")
    assert (check_in.name, check_in.escort_confirmed, check_in.fasting_confirmed) == \
        ("locations/-/appointments/a1", True, True)
    vitals = clinic(fake.address, "visit", "vitals", "a1", "--bp", "170/95", "--pulse", "80",
                    roles=(Role.NURSE,))
    assert vitals.exit_code == 0 and "SYSTOLIC_HIGH" in vitals.stderr
    assert fake.of("RecordVisitVitals")[0].systolic_mmhg == 170


def test_remittance_import_takes_a_big_file_and_answer_past_grpc_default_limits(stand_in,
                                                                                 tmp_path):
    """A 40,000-claim 835 is ~8 MiB and its postings ~4 MiB: over gRPC's 4 MiB default."""
    claims = [{"claim_reference": f"c{n:07d}", "payer_claim_number": "P" * 90}
              for n in range(50_000)]
    fake = stand_in({f"{B}.RemittanceService/ImportRemittance": lambda r: {
        "remittance": {"name": "remittances/r1", "claims": claims}}})
    era = tmp_path / "big.835"
    era.write_bytes(b"ISA*" + b"x" * (5 * 1024 * 1024))
    imported = clinic(fake.address, "--json", "remittance", "import", era, "--deadline", "60",
                      roles=(Role.BILLING,))
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout)["claims"] == 50_000
    assert len(fake.of("ImportRemittance")[0].content) == era.stat().st_size


def test_claims_export_writes_the_837_and_remittance_import_sends_the_file(stand_in, tmp_path):
    fake = stand_in({
        f"{B}.ClaimService/ExportClaims": lambda r: {"batch": {
            "name": "claimBatches/b1", "claims": list(r.claims), "content": b"ISA*00~"}},
        f"{B}.RemittanceService/ImportRemittance": lambda r: {
            "remittance": {"name": "remittances/r1", "deposit_cents": len(r.content)},
            "already_imported": True},
        f"{B}.ReportService/GetArAging": lambda r: {
            "payers": [{"payer_id": "aetna", "buckets": {"days_31_60_cents": 12500}}],
            "patients": {"days_0_30_cents": 4000}}})
    out = tmp_path / "batch.837"
    exported = clinic(fake.address, "claims", "export", "accounts/p1/claims/c1", "--out", out,
                      roles=(Role.BILLING,))
    assert exported.exit_code == 0, exported.output
    assert out.read_bytes() == b"ISA*00~" and "claimBatches/b1" in exported.stdout
    era = tmp_path / "era.835"
    era.write_bytes(b"ISA*" + b"x" * 200_000)
    imported = clinic(fake.address, "--json", "remittance", "import", era, roles=(Role.BILLING,))
    assert imported.exit_code == 0, imported.output
    shown = json.loads(imported.stdout)
    assert shown["deposit_cents"] == "200004" and shown["already_imported"] is True
    assert fake.of("ImportRemittance")[0].content == era.read_bytes()
    assert "reading era.835" in imported.stderr
    aging = clinic(fake.address, "--json", "report", "aging", roles=(Role.BILLING,))
    rows = {row["owed_by"]: row for row in json.loads(aging.stdout)}
    assert rows["aetna"]["days_31_60_cents"] == 12500
    assert rows["patients"]["days_0_30_cents"] == 4000
    assert fake.of("GetArAging")[0].as_of.day == dt.date.today().day  # as_of is required


def test_against_the_services_unknowns_are_not_found(tmp_path):
    with running("scheduling", f"sqlite:///{tmp_path}/scheduling.db") as scheduling, \
            running("billing", f"sqlite:///{tmp_path}/billing.db") as billing:
        shown = clinic(scheduling.address, "appointment", "show", "nothing")
        assert shown.exit_code == 5, shown.output
        assert "APPOINTMENT_NOT_FOUND" in shown.stderr and "correlation id" in shown.stderr
        nowhere = clinic(scheduling.address, "day", "nowhere", "--date", "2026-12-01")
        assert nowhere.exit_code == 5 and "LOCATION_NOT_FOUND" in nowhere.stderr
        account = clinic(billing.address, "account", "show", "nobody", roles=(Role.BILLING,))
        assert account.exit_code == 5, account.output
        charges = clinic(billing.address, "--json", "charges", "list", roles=(Role.BILLING,))
        assert charges.exit_code == 0 and json.loads(charges.stdout) == []
        refused = clinic(billing.address, "charges", "list", roles=(Role.TMS_TECHNICIAN,))
        assert refused.exit_code == 6
        aging = clinic(billing.address, "--json", "report", "aging", roles=(Role.BILLING,))
        assert aging.exit_code == 0, aging.output
        assert [row["owed_by"] for row in json.loads(aging.stdout)] == ["patients"]
        junk = tmp_path / "junk.835"
        junk.write_bytes(b"not an 835")
        imported = clinic(billing.address, "remittance", "import", junk, roles=(Role.BILLING,))
        assert imported.exit_code == 3, imported.output
        assert "reason:" in imported.stderr and "correlation id" in imported.stderr


def test_cancel_reschedule_and_the_other_visit_steps_send_what_was_asked(stand_in):
    appointment = {"appointment": {"name": "locations/la-jolla/appointments/a1"}}
    methods = ["AppointmentService/CancelAppointment", "AppointmentService/RescheduleAppointment",
               "VisitService/StartVisit", "VisitService/EndVisit", "VisitService/DischargeVisit",
               "VisitService/CompleteAppointment"]
    fake = stand_in({f"{S}.{m}": (lambda r: appointment) for m in methods})
    runs = [("appointment", "cancel", "a1", "--reason", "sick", "--by", "clinic"),
            ("appointment", "reschedule", "locations/la-jolla/appointments/a1", "--start",
             "2026-12-02T09:30:00-08:00", "--resource", "infusion-2"),
            ("visit", "start", "a1", "--drug", "ketamine", "--dose-mg", "35.65", "--lot", "L7"),
            ("visit", "end", "a1"),
            ("visit", "discharge", "a1", "--escort-name", "Sam"),
            ("visit", "complete", "a1", "--provider", "dr-lee", "--dose-mcg", "35650")]
    for args in runs:
        result = clinic(fake.address, "-q", *args, roles=(Role.NURSE,))
        assert result.exit_code == 0, (args, result.output)
        assert result.stdout.strip() == "locations/la-jolla/appointments/a1"
    (cancel,) = fake.of("CancelAppointment")
    assert (cancel.name, cancel.reason, cancel.initiated_by) == \
        ("locations/-/appointments/a1", "sick", 2)
    (moved,) = fake.of("RescheduleAppointment")
    assert moved.start_time.ToDatetime() == dt.datetime(2026, 12, 2, 17, 30)
    assert (moved.name, list(moved.resource_ids)) == \
        ("locations/la-jolla/appointments/a1", ["infusion-2"])
    (started,) = fake.of("StartVisit")
    assert (started.drug, started.dose_given_mg, started.lot_number) == ("ketamine", "35.65", "L7")
    assert fake.of("DischargeVisit")[0].escort_name == "Sam"
    (completed,) = fake.of("CompleteAppointment")
    assert (completed.rendering_provider_id, completed.administered_dose_mcg) == \
        ("dr-lee", 35650)
    assert (completed.em_level, completed.provider_credential,
            completed.motor_threshold_redetermined, completed.drug_wasted_mg) == (0, "", False, "")
    assert clinic(fake.address, "appointment", "cancel", "a1", "--by", "nobody").exit_code == 2


def test_visit_complete_sends_what_the_clinician_reports_for_billing(stand_in):
    appointment = {"appointment": {"name": "locations/la-jolla/appointments/a1"}}
    fake = stand_in({f"{S}.VisitService/CompleteAppointment": lambda r: appointment})
    runs = [("visit", "complete", "a1", "--em-level", "4", "--credential", "NP",
             "--wasted-mg", "28"),
            ("visit", "complete", "a2", "--motor-threshold-redetermined")]
    for args in runs:
        result = clinic(fake.address, "-q", *args, roles=(Role.NURSE,))
        assert result.exit_code == 0, (args, result.output)
    follow_up, tms = fake.of("CompleteAppointment")
    assert (follow_up.em_level, follow_up.provider_credential, follow_up.drug_wasted_mg,
            follow_up.motor_threshold_redetermined) == (4, "NP", "28", False)
    assert (tms.name, tms.motor_threshold_redetermined, tms.em_level) == \
        ("locations/-/appointments/a2", True, 0)


def test_charges_accounts_claims_and_reconciliation(stand_in):
    fake = stand_in({
        f"{B}.ChargeService/ListCharges": lambda r: {"charges": [
            {"charge_id": "c1", "procedure_code": "96365", "amount_cents": 45000}]},
        f"{B}.AccountService/GetAccount": lambda r: {"account": {"name": r.name,
                                                                 "insurance_balance_cents": 700}},
        f"{B}.ClaimService/CreateClaim": lambda r: {"claim": {
            "name": f"{r.parent}/claims/k1", "charges": list(r.charges)}},
        f"{B}.ClaimService/MarkClaimReady": lambda r: {"claim": {
            "name": r.name, "state": "CLAIM_STATE_READY"}},
        f"{B}.ReportService/GetRemittanceReconciliation": lambda r: {
            "deposit_cents": 1000, "posted_payment_cents": 900, "difference_cents": 100,
            "unbalanced_claims": ["accounts/p1/claims/k1"]}})
    listed = clinic(fake.address, "charges", "list", "p1", "--from", "2026-12-01",
                    roles=(Role.BILLING,))
    assert listed.exit_code == 0 and "96365" in listed.stdout
    (request,) = fake.of("ListCharges")
    assert (request.parent, request.start_date.day, request.HasField("end_date")) == \
        ("accounts/p1", 1, False)
    account = clinic(fake.address, "--json", "account", "show", "p1", roles=(Role.BILLING,))
    shown = json.loads(account.stdout)
    assert (shown["name"], shown["insurance_balance_cents"], shown["patient_balance_cents"]) == \
        ("accounts/p1", "700", "0")  # a zero balance is shown, not left out
    created = clinic(fake.address, "-q", "claims", "create", "p1", "--charge", "c1", "--charge",
                     "accounts/p1/charges/c2", roles=(Role.BILLING,))
    assert created.stdout.strip() == "accounts/p1/claims/k1"
    assert list(fake.of("CreateClaim")[0].charges) == ["accounts/p1/charges/c1",
                                                       "accounts/p1/charges/c2"]
    ready = clinic(fake.address, "claims", "ready", "accounts/p1/claims/k1", "--last", "Byron",
                   "--first", "Ada", "--born", "1985-12-10", roles=(Role.BILLING,))
    assert ready.exit_code == 0 and "CLAIM_STATE_READY" in ready.stdout
    subscriber = fake.of("MarkClaimReady")[0].subscriber
    assert (subscriber.last_name, subscriber.birth_date.year) == ("Byron", 1985)
    reconciled = clinic(fake.address, "--json", "report", "reconciliation", "r1",
                        roles=(Role.BILLING,))
    row = json.loads(reconciled.stdout)
    assert row["balanced"] is False and row["difference_cents"] == "100"
    assert fake.of("GetRemittanceReconciliation")[0].name == "remittances/r1"


def test_search_then_book_a_course_see_the_day_and_cancel_against_scheduling(tmp_path):
    from clinic.intake.v1 import events_pb2 as intake

    from tests.scheduling.helpers import intake_record

    with running("scheduling", f"sqlite:///{tmp_path}/scheduling.db") as scheduling:
        applied = clinic(scheduling.address, "location", "apply",
                         Path(__file__).resolve().parents[2] / "deploy/locations/la-jolla.yaml", roles=(Role.OPS,))
        assert applied.exit_code == 0, applied.output
        registered = intake.PatientRegistered(patient_id="p-cli")
        assert scheduling.runtime.processor().process(
            intake_record(registered, key="p-cli")) == "handled"
        course = []
        for _ in range(2):  # two visits, each the first time the patient is free
            found = clinic(scheduling.address, "-q", "availability", "search",
                           "FREE_CONSULTATION", "--location", "la-jolla", "--patient", "p-cli",
                           "--days", "14", "--limit", "1")
            assert found.exit_code == 0, found.output
            start = found.stdout.strip()
            booked = clinic(scheduling.address, "--json", "appointment", "book", "p-cli",
                            "--location", "la-jolla", "--type", "FREE_CONSULTATION", "--start",
                            start)
            assert booked.exit_code == 0, booked.output
            course.append(json.loads(booked.stdout))
            assert course[-1]["start_time"] == start
        assert [a["status"] for a in course] == ["APPOINTMENT_STATUS_BOOKED"] * 2
        start = course[0]["start_time"]
        first = course[0]
        service_date = first["service_date"]
        date = f"{service_date['year']:04d}-{service_date['month']:02d}-{service_date['day']:02d}"
        day = clinic(scheduling.address, "--json", "day", "la-jolla", "--date", date)
        (listed,) = [a for a in json.loads(day.stdout)
                     if a["appointment_id"] == first["appointment_id"]]
        local = dt.datetime.fromisoformat(start).astimezone(ZoneInfo("America/Los_Angeles"))
        assert listed["local_time"] == local.strftime("%H:%M")
        cancelled = clinic(scheduling.address, "--json", "appointment", "cancel",
                           first["appointment_id"], "--by", "clinic", "--reason", "closed")
        assert cancelled.exit_code == 0, cancelled.output
        assert json.loads(cancelled.stdout)["status"] == "APPOINTMENT_STATUS_CANCELLED"
        again = clinic(scheduling.address, "appointment", "book", "p-cli", "--location",
                       "la-jolla", "--type", "FREE_CONSULTATION", "--start",
                       course[1]["start_time"])
        assert again.exit_code == 3 and "correlation id" in again.stderr, again.output
        second = course[1]["appointment_id"]
        checked_in = clinic(scheduling.address, "--json", "visit", "check-in", second)
        assert checked_in.exit_code == 0, checked_in.output
        assert json.loads(checked_in.stdout)["status"] == "APPOINTMENT_STATUS_CHECKED_IN"
        early = clinic(scheduling.address, "visit", "complete", second, roles=(Role.NURSE,))
        assert early.exit_code == 3, early.output  # its booked start has not passed
        assert "reason:" in early.stderr and "correlation id" in early.stderr


def _authorization(r):
    return {"name": f"{r.parent}/priorAuthorizations/pa1", "payer_id": "60054",
            "authorization_number": "PA-1", "procedure_codes": ["90868"],
            "units_authorized": 30, "units_remaining": 0,
            "start_date": {"year": 2026, "month": 3, "day": 1},
            "end_date": {"year": 2026, "month": 5, "day": 31},
            "state": "PRIOR_AUTHORIZATION_STATE_ACTIVE"}


def test_billing_auth_add_list_expiring_and_void_send_what_was_asked(stand_in):
    listed = {"prior_authorizations": [_authorization(
        type("R", (), {"parent": "accounts/p1"}))]}
    fake = stand_in({
        f"{B}.PriorAuthorizationService/CreatePriorAuthorization": lambda r: {
            "prior_authorization": _authorization(r)},
        f"{B}.PriorAuthorizationService/ListPriorAuthorizations": lambda r: listed,
        f"{B}.PriorAuthorizationService/ListExpiringPriorAuthorizations": lambda r: listed,
        f"{B}.PriorAuthorizationService/VoidPriorAuthorization": lambda r: {
            "prior_authorization": {"name": r.name, "void_reason": r.reason,
                                    "state": "PRIOR_AUTHORIZATION_STATE_VOID"}}})
    added = clinic(fake.address, "-q", "billing", "auth", "add", "p1", "--payer", "60054",
                   "--number", "PA-1", "--code", "90868", "--code", "90869", "--units", "30",
                   "--from", "2026-03-01", "--to", "2026-05-31", roles=(Role.BILLING,))
    assert added.exit_code == 0, added.output
    assert added.stdout.strip() == "accounts/p1/priorAuthorizations/pa1"
    (request,) = fake.of("CreatePriorAuthorization")
    a = request.prior_authorization
    assert (request.parent, a.payer_id, a.authorization_number, list(a.procedure_codes),
            a.units_authorized, a.start_date.month, a.end_date.day) == \
        ("accounts/p1", "60054", "PA-1", ["90868", "90869"], 30, 3, 31)
    assert request.request_id  # a retry of the command's call is not recorded twice
    shown = clinic(fake.address, "billing", "auth", "list", "--payer", "60054",
                   roles=(Role.BILLING,))
    assert shown.exit_code == 0 and "PA-1" in shown.stdout and "2026-05-31" in shown.stdout
    assert (fake.of("ListPriorAuthorizations")[0].parent,
            fake.of("ListPriorAuthorizations")[0].payer_id) == ("accounts/-", "60054")
    expiring = clinic(fake.address, "--json", "billing", "auth", "expiring", "--units-left", "0",
                      "--days", "30", "--as-of", "2026-04-01", roles=(Role.BILLING,))
    assert json.loads(expiring.stdout)[0]["units_remaining"] == 0  # zero is shown
    (asked,) = fake.of("ListExpiringPriorAuthorizations")
    assert (asked.parent, asked.as_of.month, asked.units_remaining_at_most,
            asked.ending_within_days) == ("accounts/-", 4, 0, 30)
    assert asked.HasField("units_remaining_at_most")
    bad = clinic(fake.address, "billing", "auth", "add", "p1", "--payer", "60054", "--number",
                 "PA-1", "--code", "90868", "--units", "30", "--from", "2026-13-01", "--to",
                 "2026-05-31", roles=(Role.BILLING,))
    assert bad.exit_code == 2 and len(fake.of("CreatePriorAuthorization")) == 1
    voided = clinic(fake.address, "billing", "auth", "void",
                    "accounts/p1/priorAuthorizations/pa1", "--reason", "entered twice",
                    roles=(Role.BILLING,))
    assert voided.exit_code == 0 and "PRIOR_AUTHORIZATION_STATE_VOID" in voided.stdout
    assert fake.of("VoidPriorAuthorization")[0].reason == "entered twice"


def test_claims_accept_appeal_close_secondary_and_history(stand_in):
    def claim(state):
        return lambda r: {"claim": {"name": r.name, "state": state}}
    fake = stand_in({
        f"{B}.ClaimService/MarkClaimAccepted": claim("CLAIM_STATE_ACCEPTED"),
        f"{B}.ClaimService/AppealClaim": claim("CLAIM_STATE_APPEALED"),
        f"{B}.ClaimService/CreateSecondaryClaim": lambda r: {"claim": {
            "name": "accounts/p1/claims/k2", "primary_claim": r.primary_claim,
            "state": "CLAIM_STATE_DRAFT"}},
        f"{B}.ClaimService/CloseClaim": lambda r: _refusal(code_pb2.FAILED_PRECONDITION,
                                                           "CLAIM_STATE_CONFLICT"),
        f"{B}.ClaimService/ListClaimTransitions": lambda r: {"transitions": [
            {"to_state": "CLAIM_STATE_DRAFT", "actor": "biller-9"},
            {"from_state": "CLAIM_STATE_DRAFT", "to_state": "CLAIM_STATE_READY",
             "actor": "biller-9"}]}})
    name = "accounts/p1/claims/k1"
    accepted = clinic(fake.address, "claims", "accept", name, "--payer-claim-number", "PCN-7",
                      "--on", "2026-03-12", roles=(Role.BILLING,))
    assert accepted.exit_code == 0 and "CLAIM_STATE_ACCEPTED" in accepted.stdout
    (request,) = fake.of("MarkClaimAccepted")
    assert (request.name, request.payer_claim_number, request.accept_date.day) == \
        (name, "PCN-7", 12)
    appealed = clinic(fake.address, "claims", "appeal", name, "--note", "necessity letter",
                      "--on", "2026-03-20", roles=(Role.BILLING,))
    assert appealed.exit_code == 0
    assert (fake.of("AppealClaim")[0].note, fake.of("AppealClaim")[0].appeal_date.day) == \
        ("necessity letter", 20)
    refused = clinic(fake.address, "claims", "close", name, "--reason", "done",
                     roles=(Role.BILLING,))
    assert refused.exit_code == 3 and "CLAIM_STATE_CONFLICT" in refused.output
    history = clinic(fake.address, "--json", "claims", "history", name, roles=(Role.BILLING,))
    assert [s["to_state"] for s in json.loads(history.stdout)] == \
        ["CLAIM_STATE_DRAFT", "CLAIM_STATE_READY"]
    assert fake.of("ListClaimTransitions")[0].parent == name
    made = clinic(fake.address, "-q", "claims", "secondary", name, roles=(Role.BILLING,))
    assert made.stdout.strip() == "accounts/p1/claims/k2"
    assert fake.of("CreateSecondaryClaim")[0].primary_claim == name


@pytest.fixture
def scheduling_on(database_url):  # noqa: F811
    """Scheduling on a real socket and database at the series tests' fixed time."""
    clock = scheduling_conftest.FakeClock(scheduling_conftest.NOW)
    host, runtime = scheduling_conftest.start_service(database_url, clock)
    address = f"127.0.0.1:{host.port}"
    channel = auth.authorized(grpc.insecure_channel(address))
    yield scheduling_conftest.Scheduling(channel, runtime, clock, address)
    channel.close()
    host.stop()
    runtime.close()


def test_series_book_show_and_rebook_against_scheduling(scheduling_on):
    """The course of a plan booked whole through the command, on SQLite and PostgreSQL."""
    from tests.scheduling.integration.test_series import ready

    scheduling = scheduling_on
    ready(scheduling, sessions=3, spacing=48, window=14)
    booked = clinic(scheduling.address, "--json", "series", "book", "p1", "--type",
                    "IV_KETAMINE_INFUSION", "--location", "la-jolla", "--from", "2027-03-08",
                    "--weekday", "1", "--weekday", "3", "--weekday", "5", "--earliest", "10:00")
    assert booked.exit_code == 0, booked.output
    series = json.loads(booked.stdout)
    local = [dt.datetime.fromisoformat(a["start_time"].replace("Z", "+00:00")).astimezone(
        ZoneInfo("America/Los_Angeles")).strftime("%a %d %H:%M") for a in series["appointments"]]
    assert local == ["Mon 08 10:00", "Wed 10 10:00", "Fri 12 10:00"]
    assert series["booked_count"] == 3
    listed = clinic(scheduling.address, "-q", "series", "list", "p1")
    assert listed.stdout.split() == [series["name"]]
    again = clinic(scheduling.address, "series", "book", "p1", "--type", "IV_KETAMINE_INFUSION",
                   "--from", "2027-03-08")
    assert again.exit_code == 3 and "SERIES_COMPLETE" in again.stderr, again.output
    middle = series["appointments"][1]["appointment_id"]
    too_close = clinic(scheduling.address, "series", "rebook", middle, "--start",
                       "2027-03-11T18:00:00Z")  # 10:00 Thursday, 24 h before Friday's
    assert too_close.exit_code == 3 and "SPACING_TOO_SHORT" in too_close.stderr
    shown = clinic(scheduling.address, "--json", "series", "show", series["name"])
    assert [a["start_time"] for a in json.loads(shown.stdout)["appointments"]] == \
        [a["start_time"] for a in series["appointments"]]  # the refused move changed nothing
    table = clinic(scheduling.address, "series", "show", series["name"])
    lines = [" ".join(line.replace("│", " ").split()) for line in table.stdout.splitlines()]
    assert {"weekdays Mon, Wed, Fri", "earliest_start 10:00", "locations la-jolla",
            "from 2027-03-08"} <= set(lines), table.stdout


def test_billing_auth_bookings_lists_the_bookings_beyond_authorization_from_a_day(stand_in):
    fake = stand_in({f"{B}.PriorAuthorizationService/ListBookingsBeyondAuthorization": lambda r: {
        "bookings": [{"name": "accounts/p1/bookings/b3", "appointment_type": "TMS_SESSION",
                      "payer_id": "60054", "authorization_problem":
                      "AUTHORIZATION_PROBLEM_EXHAUSTED"}]}})
    shown = clinic(fake.address, "--json", "billing", "auth", "bookings", "--account", "p1",
                   "--as-of", "2026-03-16", roles=(Role.BILLING,))
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)[0]["authorization_problem"] == \
        "AUTHORIZATION_PROBLEM_EXHAUSTED"
    (asked,) = fake.of("ListBookingsBeyondAuthorization")
    assert (asked.parent, asked.as_of.month, asked.as_of.day) == ("accounts/p1", 3, 16)
    bad = clinic(fake.address, "billing", "auth", "bookings", "--as-of", "2026-02-30",
                 roles=(Role.BILLING,))
    assert bad.exit_code == 2 and len(fake.of("ListBookingsBeyondAuthorization")) == 1


def test_account_superbill_writes_the_pdf_and_lists_its_services(stand_in, tmp_path,
                                                                 monkeypatch):
    fake = stand_in({f"{B}.AccountService/GetSuperbill": lambda r: {
        "pdf": b"%PDF-1.3 superbill", "filename": "superbill-p1-20260301-20260331.pdf",
        "lines": [{"charge": "accounts/p1/charges/c1", "procedure_code": "96365",
                   "units": 1, "charge_cents": 45000, "paid_cents": 45000,
                   "service_date": {"year": 2026, "month": 3, "day": 2}}],
        "charged_cents": 45000, "paid_cents": 45000}})
    out = tmp_path / "p1.pdf"
    made = clinic(fake.address, "account", "superbill", "p1", "--from", "2026-03-01",
                  "--to", "2026-03-31", "-o", out, roles=(Role.BILLING,))
    assert made.exit_code == 0, made.output
    assert out.read_bytes() == b"%PDF-1.3 superbill"
    assert "96365" in made.stdout and "2026-03-02" in made.stdout
    [asked] = fake.of("GetSuperbill")
    assert (asked.name, asked.start_date.month, asked.end_date.day) == ("accounts/p1", 3, 31)
    monkeypatch.chdir(tmp_path)  # without -o: the name billing gives it, here
    assert clinic(fake.address, "account", "superbill", "p1", "--from", "2026-03-01",
                  "--to", "2026-03-31", roles=(Role.BILLING,)).exit_code == 0
    assert (tmp_path / "superbill-p1-20260301-20260331.pdf").exists()
    bad = clinic(fake.address, "account", "superbill", "p1", "--from", "March",
                 "--to", "2026-03-31", roles=(Role.BILLING,))
    assert bad.exit_code != 0 and len(fake.of("GetSuperbill")) == 2


def test_prices_and_policy_fees_are_set_from_a_date_and_listed(stand_in):
    version = {"name": "feeScheduleEntries/99213/priceVersions/v1", "amount_cents": 13500,
               "effective_date": {"year": 2027, "month": 1, "day": 1},
               "create_staff_id": "biller-9"}
    fake = stand_in({
        f"{B}.FeeScheduleService/UpdateFeeScheduleEntry": lambda r: {
            "price_version": version},
        f"{B}.FeeScheduleService/ListPriceVersions": lambda r: {"price_versions": [version]},
        f"{B}.FeeScheduleService/UpdatePolicyFee": lambda r: {"price_version": {
            **version, "name": "feeScheduleEntries/NO_SHOW_FEE/priceVersions/v2"}},
        f"{B}.FeeScheduleService/ListPolicyFees": lambda r: {"policy_fees": [
            {"name": "policyFees/NO_SHOW_FEE", "amount_cents": 9900}]}})
    made = clinic(fake.address, "prices", "set", "99213", "--cents", "13500", "--from",
                  "2027-01-01", roles=(Role.BILLING,))
    assert made.exit_code == 0, made.output
    [asked] = fake.of("UpdateFeeScheduleEntry")
    assert (asked.entry.name, asked.entry.self_pay_price_cents, list(asked.update_mask.paths),
            asked.effective_date.year, bool(asked.request_id)) == \
        ("feeScheduleEntries/99213", 13500, ["self_pay_price_cents"], 2027, True)
    listed = clinic(fake.address, "--json", "prices", "list", "99213")
    assert json.loads(listed.stdout)[0]["amount_cents"] == "13500"
    assert fake.of("ListPriceVersions")[0].parent == "feeScheduleEntries/99213"
    assert clinic(fake.address, "fees", "set", "no_show_fee", "--cents", "9900", "--from",
                  "2027-01-01", roles=(Role.BILLING,)).exit_code == 0
    [fee] = fake.of("UpdatePolicyFee")
    assert (fee.policy_fee.name, fee.policy_fee.amount_cents, list(fee.update_mask.paths)) == \
        ("policyFees/NO_SHOW_FEE", 9900, ["amount_cents"])
    fees = clinic(fake.address, "fees", "list")
    assert fees.exit_code == 0 and "9900" in fees.stdout
    bad = clinic(fake.address, "prices", "set", "99213", "--cents", "1", "--from", "soon")
    assert bad.exit_code != 0 and len(fake.of("UpdateFeeScheduleEntry")) == 1
    listed = clinic(fake.address, "prices", "set", "99213", "--list-cents", "16000", "--from",
                    "2027-01-01", roles=(Role.BILLING,))
    assert listed.exit_code == 0, listed.output
    asked = fake.of("UpdateFeeScheduleEntry")[-1]
    assert (asked.entry.list_price_cents, asked.entry.self_pay_price_cents,
            list(asked.update_mask.paths)) == (16000, 0, ["list_price_cents"])
    for both_or_none in (("--cents", "1", "--list-cents", "2"), ()):
        bad = clinic(fake.address, "prices", "set", "99213", *both_or_none, "--from",
                     "2027-01-01", roles=(Role.BILLING,))
        assert bad.exit_code != 0 and len(fake.of("UpdateFeeScheduleEntry")) == 2



def test_provider_show_set_and_rendering_providers(stand_in):
    version = {"name": "billingProvider", "organization_name": "Coastal Mind Clinics",
               "npi": "9876543213", "version": "billingProvider/versions/v1"}
    rendering = {"name": "renderingProviders/dr-lee", "first_name": "Anna", "last_name": "Lee",
                 "npi": "1111111112"}
    fake = stand_in({
        f"{B}.ProviderService/GetBillingProvider": lambda r: {"billing_provider": version},
        f"{B}.ProviderService/ListBillingProviderVersions": lambda r: {
            "billing_providers": [version]},
        f"{B}.ProviderService/UpdateBillingProvider": lambda r: {"billing_provider": version},
        f"{B}.ProviderService/CreateRenderingProvider": lambda r: {
            "rendering_provider": rendering},
        f"{B}.ProviderService/ListRenderingProviders": lambda r: {
            "rendering_providers": [rendering]},
        f"{B}.ProviderService/UpdateRenderingProvider": lambda r: {
            "rendering_provider": rendering}})
    shown = clinic(fake.address, "provider", "show", "--as-of", "2026-03-01",
                   roles=(Role.BILLING,))
    assert shown.exit_code == 0, shown.output
    assert "Coastal Mind Clinics" in shown.stdout
    [asked] = fake.of("GetBillingProvider")
    assert (asked.name, asked.as_of.month) == ("billingProvider", 3)
    assert clinic(fake.address, "provider", "show", roles=(Role.BILLING,)).exit_code == 0
    assert not fake.of("GetBillingProvider")[-1].HasField("as_of")
    history = clinic(fake.address, "--json", "provider", "show", "--history",
                     roles=(Role.BILLING,))
    assert json.loads(history.stdout)[0]["version"] == "billingProvider/versions/v1"
    made = clinic(fake.address, "provider", "set", "--name", "Coastal Mind Clinics", "--npi",
                  "9876543213", "--street", "200 Ocean St", "--city", "Oceanside", "--state",
                  "CA", "--zip", "92054-1234", "--from", "2026-03-01", roles=(Role.BILLING,))
    assert made.exit_code == 0, made.output
    [update] = fake.of("UpdateBillingProvider")
    assert (list(update.update_mask.paths), update.billing_provider.name,
            update.billing_provider.address.postal_code, update.effective_date.day,
            bool(update.request_id)) == \
        (["organization_name", "npi", "address"], "billingProvider", "92054-1234", 1, True)
    for bad in (("--street", "200 Ocean St"), ()):  # a partial address, or nothing to set
        assert clinic(fake.address, "provider", "set", *bad, roles=(Role.BILLING,)).exit_code != 0
    assert len(fake.of("UpdateBillingProvider")) == 1
    added = clinic(fake.address, "provider", "rendering", "add", "dr-lee", "--first", "Anna",
                   "--last", "Lee", "--npi", "1111111112", "--credentials", "MD",
                   roles=(Role.BILLING,))
    assert added.exit_code == 0, added.output
    [create] = fake.of("CreateRenderingProvider")
    assert (create.rendering_provider_id, create.rendering_provider.last_name,
            create.rendering_provider.credentials) == ("dr-lee", "Lee", "MD")
    listed = clinic(fake.address, "provider", "rendering", "list", roles=(Role.BILLING,))
    assert listed.exit_code == 0 and "1111111112" in listed.stdout
    changed = clinic(fake.address, "provider", "rendering", "set", "dr-lee", "--npi",
                     "1111111112", roles=(Role.BILLING,))
    assert changed.exit_code == 0, changed.output
    [change] = fake.of("UpdateRenderingProvider")
    assert (change.rendering_provider.name, list(change.update_mask.paths)) == \
        ("renderingProviders/dr-lee", ["npi"])
    assert clinic(fake.address, "provider", "rendering", "set", "dr-lee",
                  roles=(Role.BILLING,)).exit_code != 0
    assert len(fake.of("UpdateRenderingProvider")) == 1


def test_availability_hold_then_book_on_it_against_scheduling(scheduling_on):
    """The hold shows the RN it keeps, and the booking on it gets her."""
    from tests.scheduling.integration.test_slot_holds import ready

    ready(scheduling_on)
    held = clinic(scheduling_on.address, "availability", "hold", "p1", "--location",
                  "la-jolla", "--type", "IV_KETAMINE_INFUSION", "--start", "2027-03-03T18:00:00Z")
    assert held.exit_code == 0, held.output
    assert "rn-ana (RN)" in held.stdout and "HELD" in held.stdout
    hold_id = json.loads(clinic(scheduling_on.address, "--json", "availability", "hold", "p2",
                                "--location", "la-jolla", "--type", "IV_KETAMINE_INFUSION",
                                "--start", "2027-03-03T21:00:00Z").stdout)["hold_id"]
    booked = clinic(scheduling_on.address, "--json", "appointment", "book", "p2", "--location",
                    "la-jolla", "--type", "IV_KETAMINE_INFUSION", "--start",
                    "2027-03-03T21:00:00Z", "--hold", hold_id)
    assert booked.exit_code == 0, booked.output
    assert json.loads(booked.stdout)["staff"] == [{"staff_member_id": "rn-ana", "role": "RN"}]


def test_series_show_prints_the_preferences_the_series_keeps(stand_in):
    def got(request):
        answer = _series(type("R", (), {"parent": request.name.rsplit("/series/", 1)[0],
                                        "appointment_type": "IV_KETAMINE_INFUSION"})())
        if request.name.endswith("/s1"):
            answer["series"]["preferences"] = {
                "weekdays": [1, 3, 5], "earliest_start_time": {"hours": 9, "minutes": 30},
                "location_ids": ["encinitas", "la-jolla"],
                "start_date": {"year": 2026, "month": 12, "day": 1}}
        return answer

    fake = stand_in({f"{S}.SeriesService/GetSeries": got})
    shown = clinic(fake.address, "series", "show", "s1", "--patient", "p1")
    assert shown.exit_code == 0, shown.output
    lines = [" ".join(line.replace("│", " ").split()) for line in shown.stdout.splitlines()]
    for expected in ("from 2026-12-01", "weekdays Mon, Wed, Fri", "earliest_start 09:30",
                     "latest_start any", "locations encinitas, la-jolla"):
        assert expected in lines, shown.stdout
    body = json.loads(clinic(fake.address, "--json", "series", "show", "s1",
                             "--patient", "p1").stdout)
    assert body["preferences"]["location_ids"] == ["encinitas", "la-jolla"]
    old = clinic(fake.address, "series", "show", "s0", "--patient", "p1")
    assert "not kept" in old.stdout


def test_availability_hold_shows_the_held_staff_and_a_booking_names_the_hold(stand_in):
    def held(request, state="HELD"):
        return {"hold": {"name": f"{request.parent or 'locations/la-jolla'}/holds/h1",
                         "hold_id": "h1", "patient_id": request.patient_id or "p1",
                         "resource_ids": ["chair-1"], "state": state,
                         "staff": [{"staff_member_id": "rn-ana", "role": "RN"}]}}

    fake = stand_in({f"{S}.AvailabilityService/CreateHold": held,
                     f"{S}.AvailabilityService/ReleaseHold":
                         lambda r: held(type("R", (), {"parent": "", "patient_id": ""})(),
                                        "RELEASED"),
                     f"{S}.AppointmentService/CreateAppointment": _appointment})
    result = clinic(fake.address, "availability", "hold", "p1", "--location", "la-jolla",
                    "--type", "IV_KETAMINE_INFUSION", "--start", "2026-12-01T17:00:00Z")
    assert result.exit_code == 0, result.output
    assert "rn-ana (RN)" in result.stdout and "chair-1" in result.stdout
    (request,) = fake.of("CreateHold")
    assert (request.parent, request.patient_id, request.appointment_type) == (
        "locations/la-jolla", "p1", "IV_KETAMINE_INFUSION")
    assert request.start_time.ToDatetime() == dt.datetime(2026, 12, 1, 17)
    assert request.request_id
    as_json = json.loads(clinic(fake.address, "--json", "availability", "hold", "p1",
                                "--location", "la-jolla", "--type", "T",
                                "--start", "2026-12-01T17:00:00Z").stdout)
    assert as_json["staff"] == [{"staff_member_id": "rn-ana", "role": "RN"}]
    booked = clinic(fake.address, "appointment", "book", "p1", "--location", "la-jolla",
                    "--type", "IV_KETAMINE_INFUSION", "--start", "2026-12-01T17:00:00Z",
                    "--hold", "h1")
    assert booked.exit_code == 0, booked.output
    assert fake.of("CreateAppointment")[0].hold_id == "h1"
    assert clinic(fake.address, "availability", "release", "h1").exit_code == 2  # where?
    released = clinic(fake.address, "availability", "release", "h1", "--location", "la-jolla")
    assert released.exit_code == 0 and "RELEASED" in released.stdout
    assert fake.of("ReleaseHold")[0].name == "locations/la-jolla/holds/h1"
