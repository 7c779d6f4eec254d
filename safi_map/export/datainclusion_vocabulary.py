"""The data·inclusion vocabulary shared by the structures and the services exports: the
``thematique`` values of schema v1 and how the taxonomy's themes map to them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["SOURCE", "expand_thematiques", "load_thematiques", "resource_text", "theme_prefixes"]

SOURCE = "safi-map"
"""The ``source`` of every record safi-map exports."""

_THEMATIQUES_FILE = "datainclusion-thematiques-v1.json"


def resource_text(name: str) -> str:
    """A packaged schema file (``resources/schema/``) as text."""
    return resources.files("safi_map").joinpath("resources", "schema", name).read_text("utf-8")


@cache
def load_thematiques() -> tuple[str, ...]:
    """Every ``thematique`` value of the v1 vocabulary (``categorie--sous-categorie``)."""
    return tuple(sorted(item["value"] for item in json.loads(resource_text(_THEMATIQUES_FILE))))


def expand_thematiques(slugs: Iterable[str], prefixes: dict[str, tuple[str, ...]]) -> list[str]:
    """The v1 ``thematique`` values of the taxonomy themes ``slugs`` (see :func:`theme_prefixes`)."""
    vocabulary = load_thematiques()
    out: set[str] = set()
    for slug in slugs:
        for prefix in prefixes.get(slug, ()):
            out.update(v for v in vocabulary if v == prefix or v.startswith(prefix + "--"))
    return sorted(out)


def theme_prefixes(taxonomy: Any) -> dict[str, tuple[str, ...]]:
    """Theme slug -> its ``datainclusion`` prefixes, for the themes the taxonomy maps."""
    themes = getattr(taxonomy, "themes", taxonomy) if taxonomy is not None else []
    out: dict[str, tuple[str, ...]] = {}
    for item in themes or []:
        get = item.get if isinstance(item, dict) else lambda n, d=None, i=item: getattr(i, n, d)
        slug = get("slug", "")
        values = get("datainclusion", ()) or ()
        if isinstance(values, str):
            values = (values,)
        if slug and values:
            out[str(slug)] = tuple(str(v) for v in values)
    return out
