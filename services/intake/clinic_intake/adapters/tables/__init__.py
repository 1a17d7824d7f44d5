"""Intake's tables. One metadata for the service, with the platform's tables in it."""

from clinic_common.db import new_metadata, platform_tables

metadata = new_metadata()
platform_tables(metadata)
