"""/forget in the terminal demo: the question about a claim is answered by number, like
every button there."""

from __future__ import annotations

from pathlib import Path

from tests.test_console import _run


def test_a_demo_candidate_forgets_and_gives_up_the_claim_by_number(tmp_path: Path) -> None:
    lines = b"/subscribe 110108\n/forget\n1\n/myprofile\n"
    result = _run(["--lang", "en", "--as", "candidate:1"], lines, tmp_path)
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()
    assert "Deleted: the places this chat followed (1), and with them this chat's id." in out
    assert "  1) Yes, give it up\n  2) No, keep it" in out, out[-1500:]
    assert "Deleted: your account no longer speaks for" in out
    assert "Only a verified candidate's own account can do this" in out.split("no longer")[-1]
