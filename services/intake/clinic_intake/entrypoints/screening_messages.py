"""Screenings, safety flags, instruments and trends as protobuf messages."""

from __future__ import annotations

from clinic.intake.v1 import safety_flag_pb2, screening_pb2
from clinic_common.protoconv import EnumMap, timestamp

from clinic_intake.domain.instruments import Instrument
from clinic_intake.domain.screening import SafetyFlag, Screening, Trend


def screening_name(s: Screening) -> str:
    return f"patients/{s.patient_id}/screenings/{s.screening_id}"


def flag_out(f: SafetyFlag) -> safety_flag_pb2.SafetyFlag:
    return safety_flag_pb2.SafetyFlag(
        name=f"patients/{f.patient_id}/safetyFlags/{f.flag_id}", flag_id=f.flag_id, kind=f.kind,
        screening=f"patients/{f.patient_id}/screenings/{f.screening_id}",
        raise_time=timestamp(f.raised_at), acknowledged=not f.is_open,
        acknowledged_by=f.acknowledged_by,
        acknowledge_time=timestamp(f.acknowledged_at) if f.acknowledged_at else None,
        acknowledge_note=f.acknowledge_note)


def screening_out(s: Screening, flags: list[SafetyFlag]) -> screening_pb2.Screening:
    return screening_pb2.Screening(
        name=screening_name(s), screening_id=s.screening_id, instrument=s.instrument,
        answers=[screening_pb2.ItemAnswer(item=int(i), value=v) for i, v in s.answers.items()],
        administer_time=timestamp(s.administered_at), appointment_id=s.appointment_id,
        total_score=s.total_score, severity=s.severity, recorded_by=s.recorded_by,
        raised_flags=[flag_out(f).name for f in flags],
        create_time=timestamp(s.created_at))


def instrument_out(i: Instrument) -> screening_pb2.Instrument:
    return screening_pb2.Instrument(
        code=i.code, title=i.title, item_count=i.item_count, item_min=i.item_min,
        item_max=i.item_max, max_total=i.max_total, remission_below=i.remission_below or 0,
        bands=[screening_pb2.SeverityBand(min_total=b.low, max_total=b.high, label=b.label)
               for b in i.bands])


def trend_out(t: Trend) -> screening_pb2.ScoreTrend:
    prefix = f"patients/{t.points[0].patient_id}" if t.points else ""
    return screening_pb2.ScoreTrend(
        instrument=t.instrument, baseline_score=t.baseline, latest_score=t.latest,
        change_from_baseline=t.change, percent_change_from_baseline=t.percent_change,
        response=t.response, remission=t.remission, follow_up_count=t.follow_up_count,
        baseline_screening=f"{prefix}/screenings/{t.baseline_screening_id}"
        if t.baseline_screening_id else "",
        baseline_plan=f"{prefix}/treatmentPlans/{t.baseline_plan_id}"
        if t.baseline_plan_id else "",
        baseline_basis=EnumMap(screening_pb2.BaselineBasis).to_proto(t.basis),
        points=[screening_pb2.ScorePoint(
            screening=screening_name(s), administer_time=timestamp(s.administered_at),
            total_score=s.total_score, severity=s.severity) for s in t.points])
