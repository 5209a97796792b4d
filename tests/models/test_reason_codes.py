"""The reason catalogue is whole: every code that eligibility, the solve and the re-plan can
give an exception, found in their source, has a suggested action, and docs/reasons.md
documents it with that action."""

from __future__ import annotations

import ast
from pathlib import Path

from models.reason_codes import SUGGESTED_ACTIONS
from solver.stories import BLOCKER_CODES

ROOT = Path(__file__).resolve().parents[2]


def _code(node: ast.expr | None, constants: dict[str, str]) -> str | None:
    """The text of a literal, or of a module constant named, else None."""
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _produced() -> set[str]:
    """Every code the solver hands out: the code of `escalate(item, CODE, ...)` and of
    `Reason(CODE, ...)`, the first of a `return CODE, detail`, and the blockers' codes."""
    codes = set(BLOCKER_CODES.values())
    desk = ROOT / "solver" / "desk"  # messages' skip reasons are words, not reason codes
    for path in sorted(p for p in (ROOT / "solver").rglob("*.py") if desk not in p.parents):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {
            target.id: node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
            for target in node.targets
            if isinstance(target, ast.Name) and isinstance(node.value.value, str)
        }
        for node in ast.walk(tree):
            found: ast.expr | None = None
            if isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple):
                found = node.value.elts[0] if len(node.value.elts) == 2 else None
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                if node.func.id == "escalate" and len(node.args) > 1:
                    found = node.args[1]
                elif node.func.id == "Reason" and node.args:
                    found = node.args[0]
            code = _code(found, constants)
            if code is not None:
                codes.add(code)
    return codes


def test_every_code_the_solver_gives_has_a_suggested_action_and_no_action_is_stale() -> None:
    produced = _produced()
    assert len(produced) >= 25  # the walk finds them: escalations, tries, re-plans
    assert {"deposit_unpaid", "visit_under_way", "not_replanned", "provider_full"} <= produced
    assert produced == set(SUGGESTED_ACTIONS)
    assert all(action.strip() for action in SUGGESTED_ACTIONS.values())


def test_docs_reasons_lists_every_code_with_its_suggested_action() -> None:
    documented = (ROOT / "docs" / "reasons.md").read_text(encoding="utf-8")
    rows = [line for line in documented.splitlines() if line.startswith("| `")]
    actions = {}
    for row in rows:
        cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
        assert cells[-1] == SUGGESTED_ACTIONS[cells[0].strip("`")], row
        actions[cells[0].strip("`")] = cells[-1]
    assert set(actions) == set(SUGGESTED_ACTIONS)
