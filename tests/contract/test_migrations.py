"""Each service's migrations build the schema its code expects, on SQLite and PostgreSQL."""

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from clinic_common import migrations
from sqlalchemy import create_engine, inspect

SERVICES = ["intake", "scheduling", "billing"]


def _spec(service):
    try:
        bootstrap = importlib.import_module(f"clinic_{service}.bootstrap")
    except ModuleNotFoundError as exc:
        pytest.fail(f"service {service} has no bootstrap: {exc}")
    return bootstrap.build_spec()


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_match_the_models_and_downgrade_cleanly(service, database_url):
    spec = _spec(service)
    migrations.upgrade(spec.migrations_dir, database_url)
    engine = create_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        diff = compare_metadata(context, spec.metadata)
    assert diff == [], f"models and migrations of {service} differ: {diff}"
    migrations.downgrade(spec.migrations_dir, database_url)
    remaining = set(inspect(engine).get_table_names()) - {"alembic_version"}
    engine.dispose()
    assert remaining == set()
