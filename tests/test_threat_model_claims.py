"""docs/THREAT_MODEL.md names a test for each claim; every test it names must exist,
so that a renamed or deleted test cannot leave a claim standing on nothing."""

from __future__ import annotations

import ast
import re
from pathlib import Path

TESTS = Path(__file__).parent
DOC = TESTS.parent / "docs" / "THREAT_MODEL.md"
NAMED = re.compile(r"`([\w/]+\.py)::(test_\w+)(?:\[db\])?`")


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


def test_every_test_the_threat_model_names_exists() -> None:
    named = NAMED.findall(DOC.read_text())
    assert len(named) >= 30
    missing = [f"{file}::{name}" for file, name in named if name not in _tests_in(TESTS / file)]
    assert missing == []


def test_the_threat_model_names_the_seizure_test_for_the_disk() -> None:
    text = DOC.read_text()
    disk = text.split("### Someone who copies the server's disk", 1)[1].split("\n### ", 1)[0]
    assert "test_seizure.py::test_a_seized_disk_links_no_report_to_its_sender" in disk
