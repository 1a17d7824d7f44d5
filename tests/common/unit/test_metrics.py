"""Figures read when Prometheus scrapes: outbox, consumer lag per partition, pool."""

from types import SimpleNamespace

from clinic_common import metrics
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families


def samples() -> dict[tuple, float]:
    text = generate_latest(REGISTRY).decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_a_scrape_reads_the_outbox_the_consumer_lag_per_partition_and_the_pool():
    relay = SimpleNamespace(outbox_figures=lambda: (3, 12.5), running=True)
    consumer = SimpleNamespace(group_id="billing", running=False, partition_lag={("clinic.intake.v1", 0): 0,
                                                                  ("clinic.intake.v1", 2): 7})
    engine = SimpleNamespace(pool=SimpleNamespace(checkedout=lambda: 2, size=lambda: 10,
                                                  _max_overflow=10))
    metrics.SOURCES.watch("probe", relay, lambda: [consumer], engine, serving=lambda: False)
    try:
        found = samples()
    finally:
        metrics.SOURCES.forget("probe")
    assert found[("clinic_outbox_backlog", (("service", "probe"),))] == 3
    assert found[("clinic_outbox_oldest_unsent_age_seconds", (("service", "probe"),))] == 12.5
    assert found[("clinic_consumer_lag", (("group", "billing"), ("partition", "2"),
                                          ("service", "probe"),
                                          ("topic", "clinic.intake.v1")))] == 7
    assert found[("clinic_db_pool_checked_out", (("service", "probe"),))] == 2
    assert found[("clinic_db_pool_capacity", (("service", "probe"),))] == 20
    assert found[("clinic_serving", (("service", "probe"),))] == 0
    # A consumer whose thread died shows as 0 beside a running relay.
    assert found[("clinic_worker_running", (("service", "probe"), ("worker", "relay")))] == 1
    assert found[("clinic_worker_running", (("service", "probe"),
                                            ("worker", "consumer:billing")))] == 0


def test_a_database_that_does_not_answer_leaves_the_outbox_figures_out():
    def down():
        raise OSError("database down")

    engine = SimpleNamespace(pool=SimpleNamespace())
    metrics.SOURCES.watch("down", SimpleNamespace(outbox_figures=down), lambda: [], engine)
    try:
        found = samples()
    finally:
        metrics.SOURCES.forget("down")
    assert not [k for k in found if ("service", "down") in k[1]]
