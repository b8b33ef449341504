"""Display pinyin and search keys of a person, as they are staged: computed while the
file is read (in the process that reads it), once per distinct name."""

from __future__ import annotations

import json
from functools import lru_cache

from storage.search_keys import display_pinyin, name_keys

#: Distinct (name, aliases) remembered, about 470 bytes each. 5 million candidacies
#: hold about a million distinct names: each is then keyed once.
REMEMBERED = 1_200_000


@lru_cache(maxsize=4096)
def aliases_json(aliases: tuple[str, ...]) -> str:
    """Aliases as the JSON column stores them (SQLAlchemy's default serialiser)."""
    return json.dumps(list(aliases))


#: Between a search key's kind and the key in the staged list ("pinyin:zenglixin"): no
#: kind contains it, so the first one ends the kind.
KIND_END = ":"


@lru_cache(maxsize=REMEMBERED)
def person_keys(name: str, aliases: tuple[str, ...]) -> tuple[str, str]:
    """(display pinyin, search keys as a sorted JSON list of "kind:key" texts). Flat
    texts, because splitting them in SQL is cheaper than reading nested JSON."""
    keys = sorted(f"{key.kind.value}{KIND_END}{key.key}" for key in name_keys(name, aliases))
    return display_pinyin(name), json.dumps(keys, ensure_ascii=False, separators=(",", ":"))
