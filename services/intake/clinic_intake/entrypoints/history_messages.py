"""History entries and vital signs between protobuf messages and the domain."""

from __future__ import annotations

from clinic.intake.v1 import history_pb2 as h
from clinic_common.errors import FieldViolation
from clinic_common.protoconv import EnumMap, fill_date, from_timestamp, timestamp, to_date

from clinic_intake.domain import history, icd10cm
from clinic_intake.domain.vitals import RANGES, Vitals


def _date(message, field: str):
    return to_date(message, field, required=False)


def _in(which: str, m) -> history.Detail:
    at = f"entry.{which}"
    if which == "condition":
        return history.Condition(m.code, _date(m.onset_date, f"{at}.onset_date"),
                                 _date(m.resolved_date, f"{at}.resolved_date"))
    if which == "medication":
        return history.Medication(
            m.medication_name, m.dose, m.frequency, _date(m.start_date, f"{at}.start_date"),
            _date(m.stop_date, f"{at}.stop_date"), m.antidepressant,
            EnumMap(h.TrialOutcome).to_domain(m.trial_outcome, f"{at}.trial_outcome"),
            m.trial_weeks, m.adequate_dose)
    if which == "allergy":
        return history.Allergy(m.substance, m.reaction,
                               EnumMap(h.AllergySeverity).to_domain(m.severity, f"{at}.severity"))
    if which == "prior_therapy":
        return history.PriorTherapy(
            EnumMap(h.TherapyKind).to_domain(m.kind, f"{at}.kind"), _date(m.start_date, f"{at}.start_date"),
            _date(m.end_date, f"{at}.end_date"), m.sessions,
            EnumMap(h.TrialOutcome).to_domain(m.outcome, f"{at}.outcome"))
    return history.SubstanceUse(m.substance, EnumMap(h.SubstanceUseStatus).to_domain(m.status,
                                                     f"{at}.status"),
                                m.frequency, _date(m.last_use_date, f"{at}.last_use_date"))


def detail_in(entry: h.HistoryEntry) -> history.Detail:
    which = entry.WhichOneof("detail")
    if which is None:
        raise FieldViolation("entry", "needs one of condition, medication, allergy, "
                                      "prior_therapy or substance_use")
    return _in(which, getattr(entry, which))


def _dated(message, **dates):
    for name, value in dates.items():
        fill_date(getattr(message, name), value)
    return message


def _out(d: history.Detail):
    if isinstance(d, history.Condition):
        return "condition", _dated(h.Condition(
            code=d.code, code_description=icd10cm.description(d.code)), onset_date=d.onset_date,
                                   resolved_date=d.resolved_date)
    if isinstance(d, history.Medication):
        return "medication", _dated(h.Medication(
            medication_name=d.medication_name, dose=d.dose, frequency=d.frequency,
            antidepressant=d.antidepressant,
            trial_outcome=EnumMap(h.TrialOutcome).to_proto(d.trial_outcome),
            trial_weeks=d.trial_weeks, adequate_dose=d.adequate_dose),
            start_date=d.start_date, stop_date=d.stop_date)
    if isinstance(d, history.Allergy):
        return "allergy", h.Allergy(substance=d.substance, reaction=d.reaction,
                                    severity=EnumMap(h.AllergySeverity).to_proto(d.severity))
    if isinstance(d, history.PriorTherapy):
        return "prior_therapy", _dated(h.PriorTherapy(
            kind=EnumMap(h.TherapyKind).to_proto(d.kind), sessions=d.sessions,
            outcome=EnumMap(h.TrialOutcome).to_proto(d.outcome)),
            start_date=d.start_date, end_date=d.end_date)
    return "substance_use", _dated(h.SubstanceUse(
        substance=d.substance, status=EnumMap(h.SubstanceUseStatus).to_proto(d.status),
        frequency=d.frequency), last_use_date=d.last_use_date)


def entry_out(e: history.HistoryEntry) -> h.HistoryEntry:
    which, detail = _out(e.detail)
    message = h.HistoryEntry(
        name=f"patients/{e.patient_id}/historyEntries/{e.entry_id}", entry_id=e.entry_id,
        revision=e.revision, recorded_by=e.recorded_by,
        create_time=timestamp(e.created_at), update_time=timestamp(e.updated_at))
    getattr(message, which).CopyFrom(detail)
    return message


def vitals_values(v: h.Vitals) -> dict:
    return {name: getattr(v, name) for name in RANGES}


def vitals_time(v: h.Vitals):
    return from_timestamp(v.measure_time, "vitals.measure_time", required=False)


def vitals_out(v: Vitals) -> h.Vitals:
    return h.Vitals(
        name=f"patients/{v.patient_id}/vitals/{v.vitals_id}", vitals_id=v.vitals_id,
        measure_time=timestamp(v.measured_at), recorded_by=v.recorded_by,
        location_id=v.location_id,
        create_time=timestamp(v.created_at),
        **{name: getattr(v, name) or 0 for name in RANGES})
