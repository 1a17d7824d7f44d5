"""What scheduling's servicers are given: the use-case runner and the policy."""

from __future__ import annotations

from dataclasses import dataclass

from clinic_common.runner import Runner

from clinic_scheduling.domain.policy import SchedulingPolicy
from clinic_scheduling.service_layer.unit_of_work import SchedulingUnitOfWork


@dataclass(frozen=True)
class Deps:
    runner: Runner[SchedulingUnitOfWork]
    policy: SchedulingPolicy
