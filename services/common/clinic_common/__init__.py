"""Shared infrastructure of the clinic services. No domain code lives here."""
