"""The packaged divisions' search keys are what the code would compute."""

from __future__ import annotations

from itertools import islice

from storage.areas import area_keys, packaged_keys, read_divisions


def test_packaged_division_keys_match_the_keys_computed_now() -> None:
    keys = packaged_keys()
    assert keys is not None, "pypinyin changed: run tools/division_keys.py"
    divisions = list(read_divisions())
    assert set(keys) == {area.code for area in divisions}
    # Every seventh name (all levels and endings occur) keeps this test to a second.
    for area in islice(divisions, 0, None, 7):
        assert keys[area.code] == area_keys(area.name), (
            f"{area.name}: the packaged keys are stale; run tools/division_keys.py"
        )
