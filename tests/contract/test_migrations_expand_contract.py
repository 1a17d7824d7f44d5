"""Migrations expand, then contract (deploy/README.md, "Expand, then contract").

All locations share each service's database and are upgraded one after another, so
a migration must leave the schema readable by the release before it. Dropping or
renaming a table or column is a contract step: allowed only in a migration whose
file says, in a comment, which release stopped reading it:

    # contract: stopped reading in 0.3.0
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "scheduling", "billing")
# The last revision of each service released before this rule (0.1.0): these files
# are history, not checked. Every later migration is.
BASELINE = {"intake": "0012", "scheduling": "0004", "billing": "0003"}
CONTRACT_MARK = re.compile(r"#\s*contract:\s*stopped reading in\s+v?\d+\.\d+(\.\d+)?\b",
                           re.IGNORECASE)
DESTRUCTIVE_CALLS = {"drop_column", "drop_table", "rename_table"}
DESTRUCTIVE_SQL = re.compile(r"\b(DROP\s+(TABLE|COLUMN)|RENAME\s+(TO|COLUMN))\b", re.IGNORECASE)


def _versions(service: str) -> Path:
    return REPO / "services" / service / f"clinic_{service}" / "migrations" / "versions"


def _revision(tree: ast.Module) -> str:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "revision" for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError("no revision")


def destructive_steps(source: str) -> list[str]:
    """What ``upgrade()`` drops or renames: op/batch_op calls and raw SQL, by line."""
    tree = ast.parse(source)
    upgrade = next((n for n in tree.body if isinstance(n, ast.FunctionDef)
                    and n.name == "upgrade"), None)
    if upgrade is None:
        return []
    found = []
    for node in ast.walk(upgrade):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = node.func.attr
            if name in DESTRUCTIVE_CALLS:
                found.append(f"line {node.lineno}: {name}")
            elif name == "alter_column" and any(k.arg == "new_column_name" for k in node.keywords):
                found.append(f"line {node.lineno}: alter_column(new_column_name=...)")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and DESTRUCTIVE_SQL.search(node.value):
            found.append(f"line {node.lineno}: SQL {DESTRUCTIVE_SQL.search(node.value).group(0)}")
    return found


def problems(source: str) -> list[str]:
    """Destructive steps in a migration not marked as a contract step."""
    steps = destructive_steps(source)
    return [] if not steps or CONTRACT_MARK.search(source) else steps


def _after_baseline(service: str) -> list[Path]:
    files = []
    for path in sorted(_versions(service).glob("*.py")):
        revision = _revision(ast.parse(path.read_text()))
        if revision > BASELINE[service]:
            files.append(path)
    return files


@pytest.mark.parametrize("service", SERVICES)
def test_the_baseline_names_a_real_revision(service):
    revisions = {_revision(ast.parse(p.read_text())) for p in _versions(service).glob("*.py")}
    assert BASELINE[service] in revisions


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_after_the_baseline_only_expand_unless_marked_as_contract(service):
    for path in _after_baseline(service):
        found = problems(path.read_text())
        assert not found, (
            f"{path.relative_to(REPO)} drops or renames {found} while the previous release may "
            "still read it. Expand now, contract in a later release, in a migration marked "
            "'# contract: stopped reading in <release>' (deploy/README.md, 'Expand, then "
            "contract').")


UPGRADE = '''
def upgrade():
    {body}


def downgrade():
    op.drop_table("kept")
'''


@pytest.mark.parametrize("body", [
    'op.drop_column("patients", "legacy")',
    'op.drop_table("patients")',
    'op.rename_table("patients", "people")',
    'op.alter_column("patients", "name", new_column_name="full_name")',
    'with op.batch_alter_table("patients") as batch_op:\n        batch_op.drop_column("legacy")',
    'with op.batch_alter_table("p") as batch_op:\n        batch_op.alter_column("a", new_column_name="b")',
    'op.execute("ALTER TABLE patients DROP COLUMN legacy")',
    'op.execute("ALTER TABLE patients RENAME COLUMN a TO b")',
])
def test_the_check_flags_drops_and_renames_in_upgrade(body):
    source = UPGRADE.format(body=body)
    assert problems(source)
    marked = "# contract: stopped reading in 0.3.0\n" + source
    assert problems(marked) == []


@pytest.mark.parametrize("body", [
    'op.add_column("patients", sa.Column("nickname", sa.Text(), nullable=True))',
    'op.create_table("notes", sa.Column("id", sa.Text(), primary_key=True))',
    'op.alter_column("patients", "name", nullable=True)',
    'op.create_index("ix_notes", "notes", ["id"])',
])
def test_the_check_lets_expanding_steps_and_downgrades_pass(body):
    assert problems(UPGRADE.format(body=body)) == []


def test_a_contract_mark_must_name_a_release():
    source = "# contract: later\n" + UPGRADE.format(body='op.drop_table("patients")')
    assert problems(source)
