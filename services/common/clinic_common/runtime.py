"""Wires one service's infrastructure from its settings: database, outbox, relay, consumer.

A service's ``bootstrap.py`` describes itself with a :class:`ServiceSpec` and
gets a :class:`Runtime`; tests build the same runtime with fakes (an in-memory
publisher) or real parts.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import MetaData

from clinic_common import migrations
from clinic_common.audit import AuditLog, patient_names
from clinic_common.clock import Clock, system_clock
from clinic_common.config import KafkaSettings, ServiceSettings
from clinic_common.consumer import EventProcessor, Handler, KafkaEventConsumer, dlq_topic
from clinic_common.db import make_engine, make_session_factory
from clinic_common.edge import Edge
from clinic_common.envelope import EventRegistry
from clinic_common.outbox import Outbox
from clinic_common.publisher import EventPublisher, KafkaPublisher
from clinic_common.relay import OutboxRelay
from clinic_common.runner import Runner
from clinic_common.tokens import TokenVerifier
from clinic_common.unit_of_work import Platform, SqlUnitOfWork

log = logging.getLogger(__name__)


@dataclass
class ServiceSpec:
    """What makes one service different from another, as far as infrastructure goes."""

    name: str
    topic: str  # the logical topic this service publishes to, e.g. "clinic.intake.v1"
    metadata: MetaData
    migrations_dir: Path
    uow_class: type[SqlUnitOfWork]
    consumes: list[str] = field(default_factory=list)  # logical topics
    # Collections whose resource names start with a patient id, for the audit trail.
    patient_collections: tuple[str, ...] = ("patients",)
    registry: EventRegistry = field(default_factory=EventRegistry)
    handlers: dict[str, Handler] = field(default_factory=dict)


class Runtime:
    def __init__(self, spec: ServiceSpec, settings: ServiceSettings, kafka: KafkaSettings,
                 *, publisher: EventPublisher | None = None, clock: Clock = system_clock):
        self.spec = spec
        self.clock = clock
        self.settings = settings
        self.kafka = kafka
        self.database_url = settings.resolved_database_url
        self.engine = make_engine(self.database_url)
        self.session_factory = make_session_factory(self.engine)
        self.topic = kafka.topic(spec.topic)
        self.outbox = Outbox(spec.metadata.tables["outbox"], topic=self.topic,
                             source=f"/clinic/{spec.name}", clock=clock)
        self.publisher = publisher or KafkaPublisher(
            kafka, topics=[self.topic, *self.consumed_topics,
                           *(dlq_topic(t) for t in self.consumed_topics)])
        self.relay = OutboxRelay(
            self.outbox, self.session_factory, self.publisher,
            poll_interval=kafka.relay_poll_interval_ms / 1000, batch_size=kafka.relay_batch_size,
            max_backoff=kafka.relay_max_backoff_ms / 1000,
            loss_check_interval=kafka.relay_loss_check_interval_ms / 1000,
            republish_window=dt.timedelta(hours=kafka.relay_republish_window_hours), clock=clock)
        self.platform = Platform(
            session_factory=self.session_factory, outbox=self.outbox,
            inbox=spec.metadata.tables["inbox"], request_log=spec.metadata.tables["request_log"],
            on_commit=self.relay.wake, audit_log=spec.metadata.tables["audit_log"], clock=clock)
        self.runner = Runner(self.uow, clock)

    @property
    def consumed_topics(self) -> list[str]:
        return [self.kafka.topic(t) for t in self.spec.consumes]

    def uow(self) -> SqlUnitOfWork:
        return self.spec.uow_class(self.platform)

    @property
    def error_domain(self) -> str:
        """The ErrorInfo domain of this service's refusals."""
        return f"{self.spec.name}.clinic.api"

    def edge(self, verifier: TokenVerifier) -> Edge:
        """The API edge of this service: its chain trusts ``verifier`` and audits here."""
        audit_log = AuditLog(self.session_factory, self.spec.metadata.tables["audit_log"],
                             patient_names(*self.spec.patient_collections))
        return Edge(verifier, audit_log, self.error_domain, self.clock,
                    max_text=self.settings.max_text_length, max_items=self.settings.max_list_items)

    def migrate(self) -> None:
        migrations.upgrade(self.spec.migrations_dir, self.database_url)

    def processor(self) -> EventProcessor:
        return EventProcessor(
            self.spec.name, self.spec.registry, self.spec.handlers, self.uow, self.publisher,
            max_attempts=self.kafka.consumer_max_attempts,
            retry_backoff=self.kafka.consumer_retry_backoff_ms / 1000, clock=self.clock)

    def consumer(self) -> KafkaEventConsumer | None:
        if not self.spec.consumes or not self.settings.consume_events:
            return None
        return KafkaEventConsumer(self.processor(), self.consumed_topics, self.kafka,
                                  group_id=f"{self.kafka.topic_prefix}{self.spec.name}")

    def close(self) -> None:
        self.publisher.close()
        self.engine.dispose()
