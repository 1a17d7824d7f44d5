"""Helpers behind the test fixtures: where PostgreSQL and the broker come from.

Order of preference, per component: an address from the environment
(``TEST_POSTGRES_URL``, ``TEST_KAFKA_BOOTSTRAP``); a testcontainers container
when a Docker engine answers; the local PostgreSQL server on 127.0.0.1:5432 and
a tansu subprocess. When none works the component is unavailable: tests skip,
unless ``CI=true``, where that is a failure.
"""
