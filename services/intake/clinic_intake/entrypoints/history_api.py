"""HistoryService over gRPC: translate requests to commands, results to messages."""

from __future__ import annotations

from clinic.intake.v1 import history_pb2
from clinic.intake.v1 import history_service_pb2 as pb
from clinic.intake.v1 import history_service_pb2_grpc as pb_grpc
from clinic_common import paging
from clinic_common.protoconv import EnumMap

from clinic_intake.entrypoints import common
from clinic_intake.entrypoints import history_messages as msg
from clinic_intake.service_layer import history
from clinic_intake.service_layer.deps import Deps


def _entry_name(name: str, field: str) -> tuple[str, str]:
    return common.HISTORY_ENTRY.parse(name, field)


class HistoryServicer(pb_grpc.HistoryServiceServicer):
    def __init__(self, deps: Deps):
        self.deps = deps

    def _entry(self, patient_id: str, entry_id: str):
        return msg.entry_out(history.get_entry(patient_id, entry_id, self.deps))

    def CreateHistoryEntry(self, request, context):
        meta = common.change(request)
        patient_id = common.patient_id(request.parent, "parent")
        entry_id = history.record_entry(history.RecordEntry(
            patient_id=patient_id, detail=msg.detail_in(request.entry), **meta), self.deps)
        return pb.CreateHistoryEntryResponse(entry=self._entry(patient_id, entry_id))

    def GetHistoryEntry(self, request, context):
        return pb.GetHistoryEntryResponse(entry=self._entry(*_entry_name(request.name, "name")))

    def ListHistoryEntries(self, request, context):
        want = paging.page_request(request)
        page = history.list_records(
            "history", common.patient_id(request.parent, "parent"), self.deps,
            limit=want.size, after=want.after, kind=EnumMap(history_pb2.HistoryKind).to_domain(request.kind, "kind"))
        return pb.ListHistoryEntriesResponse(entries=[msg.entry_out(e) for e in page.items],
                                             next_page_token=paging.next_page_token(page.next_key, request))

    def AmendHistoryEntry(self, request, context):
        meta = common.change(request)
        patient_id, entry_id = _entry_name(request.entry.name, "entry.name")
        history.amend_entry(history.AmendEntry(
            patient_id=patient_id, entry_id=entry_id, detail=msg.detail_in(request.entry),
            reason=request.reason, **meta), self.deps)
        return pb.AmendHistoryEntryResponse(entry=self._entry(patient_id, entry_id))

    def RecordVitals(self, request, context):
        meta = common.change(request)
        patient_id = common.patient_id(request.parent, "parent")
        vitals_id = history.record_vitals(history.RecordVitals(
            patient_id=patient_id, measured_at=msg.vitals_time(request.vitals),
            values=msg.vitals_values(request.vitals), location_id=request.vitals.location_id,
            **meta), self.deps)
        found = history.get_vitals(patient_id, vitals_id, self.deps)
        return pb.RecordVitalsResponse(vitals=msg.vitals_out(found))

    def ListVitals(self, request, context):
        want = paging.page_request(request)
        page = history.list_records("vitals", common.patient_id(request.parent, "parent"),
                                    self.deps, limit=want.size, after=want.after)
        return pb.ListVitalsResponse(vitals=[msg.vitals_out(v) for v in page.items],
                                     next_page_token=paging.next_page_token(page.next_key, request))

    def GetClinicalSummary(self, request, context):
        s = history.clinical_summary(common.patient_id(request.parent, "parent"), self.deps)
        summary = history_pb2.ClinicalSummary(
            failed_antidepressant_trials=s.failed_antidepressant_trials,
            adequate_failed_antidepressant_trials=s.adequate_failed_antidepressant_trials,
            treatment_resistant=s.treatment_resistant)
        if s.latest_weight:
            summary.latest_weight.CopyFrom(msg.vitals_out(s.latest_weight))
        if s.latest_blood_pressure:
            summary.latest_blood_pressure.CopyFrom(msg.vitals_out(s.latest_blood_pressure))
        return pb.GetClinicalSummaryResponse(summary=summary)
