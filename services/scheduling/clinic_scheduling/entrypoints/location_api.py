"""LocationService over gRPC: translate requests to commands, results to messages."""

from __future__ import annotations

from clinic.scheduling.v1 import location_service_pb2 as pb
from clinic.scheduling.v1 import location_service_pb2_grpc as pb_grpc
from clinic_common import paging
from clinic_common.errors import FieldViolation
from clinic_common.runner import RequestKey

from clinic_scheduling.domain.location_details import FIELDS
from clinic_scheduling.entrypoints import messages as m
from clinic_scheduling.entrypoints.deps import Deps
from clinic_scheduling.service_layer import locations


class LocationServicer(pb_grpc.LocationServiceServicer):
    def __init__(self, deps: Deps):
        self.runner = deps.runner
        self.policy = deps.policy

    def CreateLocation(self, request, context):
        location_id = request.location_id
        locations.create_location(locations.CreateLocation(
            location_id=location_id, details=m.details_from_proto(request.location),
            key=RequestKey.of(request)), self.runner, self.policy)
        return pb.CreateLocationResponse(location=self._location(location_id))

    def GetLocation(self, request, context):
        return pb.GetLocationResponse(
            location=self._location(m.LOCATION.parse_one(request.name)))

    def ListLocations(self, request, context):
        want = paging.page_request(request)
        page = locations.list_locations(self.runner, limit=want.size, after=want.after)
        return pb.ListLocationsResponse(
            locations=[m.location_to_proto(row) for row in page.items],
            next_page_token=paging.next_page_token(page.next_key, request))

    def UpdateLocation(self, request, context):
        location_id = m.LOCATION.parse_one(request.location.name, "location.name")
        paths = set(request.update_mask.paths) or set(FIELDS)
        unknown = sorted(paths - set(FIELDS))
        if unknown:
            raise FieldViolation("update_mask", f"cannot update {', '.join(unknown)}; "
                                 f"updatable: {', '.join(FIELDS)}")
        locations.update_location(locations.UpdateLocation(
            location_id=location_id, details=m.details_from_proto(request.location),
            fields=frozenset(paths), key=RequestKey.of(request)), self.runner, self.policy)
        return pb.UpdateLocationResponse(location=self._location(location_id))

    def _location(self, location_id: str):
        return m.location_to_proto(locations.get_location(location_id, self.runner))
