"""Operator commands for the event backbone.

  clinic-ops outbox SERVICE [--pending]                 list stored events
  clinic-ops replay SERVICE [--since T] [--until T] [--event-id ID ...]
                                                        publish stored events again
  clinic-ops dlq list TOPIC                             list dead letters
  clinic-ops dlq redrive TOPIC (--all | --at P:O ...)   send dead letters back to their topic

A replayed or re-driven event keeps its ce_id, so consumers that already
applied it skip it (inbox) and only those that missed it act. Settings come
from the same environment variables as the services (SERVICE_DATABASE_URL,
KAFKA_BOOTSTRAP_SERVERS, KAFKA_TOPIC_PREFIX, ...).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from datetime import UTC, datetime

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from sqlalchemy.exc import SQLAlchemyError

from clinic_common.config import ConfigurationError, KafkaSettings, ServiceSettings, load
from clinic_common.db import make_engine, make_session_factory
from clinic_common.outbox import Outbox
from clinic_common.publisher import KafkaPublisher, PublishError

SERVICES = ("intake", "scheduling", "billing")


def _service_outbox(service: str, kafka: KafkaSettings):
    config = importlib.import_module(f"clinic_{service}.config")
    settings_class = next(v for v in vars(config).values() if isinstance(v, type)
                          and issubclass(v, ServiceSettings) and v is not ServiceSettings)
    settings = load(settings_class)
    spec = importlib.import_module(f"clinic_{service}.bootstrap").build_spec()
    engine = make_engine(settings.resolved_database_url)
    outbox = Outbox(spec.metadata.tables["outbox"], topic=kafka.topic(spec.topic),
                    source=f"/clinic/{service}")
    return outbox, make_session_factory(engine)


def _time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def cmd_outbox(args, kafka: KafkaSettings) -> int:
    outbox, sessions = _service_outbox(args.service, kafka)
    with sessions() as session:
        records = outbox.pending(session, args.limit) if args.pending else \
            outbox.select(session, limit=args.limit)
    for r in records:
        print(json.dumps({"position": r.position, "event_id": r.event_id, "type": r.event_type,
                          "key": r.partition_key, "created_at": r.created_at.isoformat()}))
    return 0


def cmd_replay(args, kafka: KafkaSettings) -> int:
    if not (args.since or args.until or args.event_id):
        print("replay: give --since/--until or --event-id (refusing to replay everything "
              "by accident; use --since 1970-01-01 for that)", file=sys.stderr)
        return 2
    outbox, sessions = _service_outbox(args.service, kafka)
    with sessions() as session:
        records = outbox.select(session, since=args.since and _time(args.since),
                                until=args.until and _time(args.until), event_ids=args.event_id)
    publisher = KafkaPublisher(kafka, topics=[outbox.topic])
    replayed_at = datetime.now(UTC).isoformat()
    try:
        sent = publisher.publish_many([
            (outbox.topic, r.partition_key, r.payload, {**r.headers, "replayed_at": replayed_at})
            for r in records])
    except PublishError as exc:
        print(f"replay failed: {exc}", file=sys.stderr)
        return 1
    finally:
        publisher.close()
    print(json.dumps({"replayed": sent, "topic": outbox.topic}))
    return 0


def read_dead_letters(kafka: KafkaSettings, topic: str):
    """Every record of ``<topic>.dlq`` from the beginning, without joining a group."""
    dlq = kafka.topic(topic) + ".dlq" if not topic.endswith(".dlq") else kafka.topic(topic)
    consumer = KafkaConsumer(**kafka.client_options(), enable_auto_commit=False,
                             consumer_timeout_ms=2000)
    try:
        partitions = consumer.partitions_for_topic(dlq) or set()
        if not partitions:  # no dead letter was ever written: the topic does not exist
            return []
        assignment = [TopicPartition(dlq, p) for p in sorted(partitions)]
        consumer.assign(assignment)
        consumer.seek_to_beginning(*assignment)
        return list(consumer)
    finally:
        consumer.close()


def cmd_dlq_list(args, kafka: KafkaSettings) -> int:
    for r in read_dead_letters(kafka, args.topic):
        headers = {k: v.decode(errors="replace") for k, v in r.headers or []}
        print(json.dumps({
            "at": f"{r.partition}:{r.offset}", "key": (r.key or b"").decode(errors="replace"),
            "ce_id": headers.get("ce_id"), "ce_type": headers.get("ce_type"),
            "consumer": headers.get("dlq_consumer"), "error": headers.get("dlq_error"),
            "attempts": headers.get("dlq_attempts"), "time": headers.get("dlq_time")}))
    return 0


def cmd_dlq_redrive(args, kafka: KafkaSettings) -> int:
    wanted = set(args.at or [])
    chosen = [r for r in read_dead_letters(kafka, args.topic)
              if args.all or f"{r.partition}:{r.offset}" in wanted]
    publisher = KafkaPublisher(kafka)
    try:
        batch = []
        for r in chosen:
            headers = {k: v.decode(errors="replace") for k, v in r.headers or []}
            target = headers.get("dlq_source_topic") or kafka.topic(args.topic.removesuffix(".dlq"))
            kept = {k: v for k, v in headers.items() if not k.startswith("dlq_")}
            kept["redriven_from"] = f"{r.topic}:{r.partition}:{r.offset}"
            batch.append((target, (r.key or b"").decode(errors="replace"), r.value or b"", kept))
        sent = publisher.publish_many(batch)
    except PublishError as exc:
        print(f"redrive failed: {exc}", file=sys.stderr)
        return 1
    finally:
        publisher.close()
    print(json.dumps({"redriven": sent}))
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="clinic-ops", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = root.add_subparsers(dest="command", required=True)
    outbox = commands.add_parser("outbox", help="list a service's stored events")
    outbox.add_argument("service", choices=SERVICES)
    outbox.add_argument("--pending", action="store_true", help="only events not yet published")
    outbox.add_argument("--limit", type=int, default=1000)
    outbox.set_defaults(run=cmd_outbox)
    replay = commands.add_parser("replay", help="publish a service's stored events again")
    replay.add_argument("service", choices=SERVICES)
    replay.add_argument("--since", help="ISO time, inclusive")
    replay.add_argument("--until", help="ISO time, exclusive")
    replay.add_argument("--event-id", action="append", help="an event id; repeatable")
    replay.set_defaults(run=cmd_replay)
    dlq = commands.add_parser("dlq", help="dead letters").add_subparsers(dest="dlq", required=True)
    listing = dlq.add_parser("list", help="list the dead letters of a topic")
    listing.add_argument("topic", help="a topic such as clinic.intake.v1 (its .dlq is read)")
    listing.set_defaults(run=cmd_dlq_list)
    redrive = dlq.add_parser("redrive", help="send dead letters back to their source topic")
    redrive.add_argument("topic")
    choice = redrive.add_mutually_exclusive_group(required=True)
    choice.add_argument("--all", action="store_true")
    choice.add_argument("--at", action="append", metavar="PARTITION:OFFSET")
    redrive.set_defaults(run=cmd_dlq_redrive)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        kafka = load(KafkaSettings)
        return args.run(args, kafka)
    except ConfigurationError as exc:
        print(f"clinic-ops: {exc}", file=sys.stderr)
        return 2
    except KafkaError as exc:
        print(f"clinic-ops: cannot reach the broker at {kafka.bootstrap_servers} "
              f"({type(exc).__name__}); check KAFKA_BOOTSTRAP_SERVERS", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        service = getattr(args, "service", "")
        print(f"clinic-ops: cannot read the {service} database ({type(exc.orig or exc).__name__}:"
              f" {str(exc.orig or exc).strip()}); check {service.upper()}_DATABASE_URL or "
              f"{service.upper()}_DATA_DIR and that `python -m clinic_{service} migrate` ran",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
