"""Appointment types get an ordered list of parts (an infusion then its recovery, a
Spravato dose then its observation, a TMS session, a consultation): each part's minutes (or
the plan's length within a range), and the resource kinds and staff roles it holds. The
existing types' parts are laid out from their current length, observation and needs
(expand only).

Revision ID: 0017_appointment_type_parts
Revises: 0016_appointment_type_revision
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0017_appointment_type_parts"
down_revision = "0016_appointment_type_revision"
branch_labels = None
depends_on = None

# The pain protocols run 40 min to 4 h, as the patient's plan says.
PLAN_RANGE = {"PAIN_KETAMINE_INFUSION": (40, 240)}
MAIN_KIND = {"IV_KETAMINE": "INFUSION", "SPRAVATO": "DOSE", "TMS": "SESSION"}


def upgrade() -> None:
    op.create_table(
        "appointment_type_parts",
        sa.Column("type_code", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("length_from_plan", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("min_minutes", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("max_minutes", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("resource_kinds", sa.String(200), nullable=False, server_default=""),
        sa.Column("staff_roles", sa.String(200), nullable=False, server_default=""),
        sa.ForeignKeyConstraint(["type_code"], ["appointment_types.code"], ondelete="CASCADE",
                                name="fk_appointment_type_parts_type_code_appointment_types"),
        sa.PrimaryKeyConstraint("type_code", "position", name="pk_appointment_type_parts"))
    _seed_parts()


def _seed_parts() -> None:
    """Each type's treatment (or consultation) holds every resource and staff role; its
    recovery or observation holds the resources and the observer, no longer the RN."""
    bind = op.get_bind()
    types = bind.execute(sa.text(
        "SELECT code, duration_minutes, observation_minutes, modality, duration_from_plan "
        "FROM appointment_types ORDER BY code")).all()
    needs: dict[str, dict[str, list[str]]] = {}
    for code, kind, need in bind.execute(sa.text(
            "SELECT type_code, need_kind, code FROM appointment_type_needs "
            "ORDER BY type_code, need_kind, code")):
        needs.setdefault(code, {}).setdefault(kind, []).append(need)
    parts = sa.table("appointment_type_parts", sa.column("type_code", sa.String),
                     sa.column("position", sa.Integer), sa.column("kind", sa.String),
                     sa.column("minutes", sa.Integer),
                     sa.column("length_from_plan", sa.Boolean),
                     sa.column("min_minutes", sa.Integer), sa.column("max_minutes", sa.Integer),
                     sa.column("resource_kinds", sa.String), sa.column("staff_roles", sa.String))
    rows = []
    for code, duration, observation, modality, from_plan in types:
        kinds = needs.get(code, {}).get("RESOURCE", [])
        roles = needs.get(code, {}).get("STAFF", [])
        main = MAIN_KIND.get(modality, "SESSION" if modality else "CONSULT")
        minutes = duration - observation
        low, high = PLAN_RANGE.get(code, (0, 0)) if from_plan else (0, 0)
        rows.append({"type_code": code, "position": 0, "kind": main, "minutes": minutes,
                     "length_from_plan": bool(from_plan),
                     "min_minutes": min(low, minutes) if low else 0,
                     "max_minutes": max(high, minutes) if high else 0,
                     "resource_kinds": " ".join(kinds), "staff_roles": " ".join(roles)})
        if observation:
            rows.append({"type_code": code, "position": 1,
                         "kind": "OBSERVATION" if main == "DOSE" else "RECOVERY",
                         "minutes": observation, "length_from_plan": False, "min_minutes": 0,
                         "max_minutes": 0, "resource_kinds": " ".join(kinds),
                         "staff_roles": " ".join(r for r in roles if r == "OBSERVER")})
    if rows:
        op.bulk_insert(parts, rows)


def downgrade() -> None:
    op.drop_table("appointment_type_parts")
