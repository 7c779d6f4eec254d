"""Manual corrections: parsed strictly, applied on every build, unknown ids reported."""

from __future__ import annotations

import pytest

from safi_map.core.errors import ConfigError
from safi_map.ingestion.corrections import apply_corrections, load_corrections
from safi_map.model.synthetic import synthetic_actors


def write(tmp_path, text):
    path = tmp_path / "corrections.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file_means_no_corrections(tmp_path):
    assert len(load_corrections(tmp_path / "none.toml")) == 0


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[[moev]]\nactor_id='a'\n", "unknown correction [[moev]]"),
        ("[[move]]\nactor_id='a'\nlatitude=43\n", "'longitude' is required"),
        ("[[move]]\nactor_id='a'\nlatitude=143\nlongitude=5\n", "in range"),
        ("[[set]]\nactor_id='a'\nthemes='sante'\n", "'themes' must be a list"),
        ("[[set]]\nactor_id='a'\nsources=['x']\n", "unknown key(s) sources"),
        ("[[merge]]\nkeep='a'\nabsorb=[]\n", "non-empty list"),
        ("[[split]]\nactor_id='a'\n", "'sources' is required"),
    ],
)
def test_bad_corrections_name_entry_and_key(tmp_path, text, fragment):
    with pytest.raises(ConfigError) as info:
        load_corrections(write(tmp_path, text))
    assert fragment in str(info.value)
    assert "corrections.toml" in str(info.value)


def test_move_set_hide_and_unknown(tmp_path):
    actors = synthetic_actors(5, seed=1)
    a, b, c = actors["actor_id"].iloc[:3]
    path = write(tmp_path, f"""
[[move]]
actor_id = "{a}"
latitude = 43.5
longitude = 6.5
[[set]]
actor_id = "{b}"
name = "Nom corrigé"
themes = ["sante"]
[[hide]]
actor_id = "{c}"
note = "demande de retrait"
[[hide]]
actor_id = "disparu-83137"
""")
    out, log = apply_corrections(actors, load_corrections(path))
    assert len(out) == 4 and c not in set(out["actor_id"])
    moved = out.set_index("actor_id").loc[a]
    assert (moved["latitude"], moved["longitude"]) == (43.5, 6.5)
    assert moved.geometry.x == 6.5 and moved["geocode_source"] == "correction"
    fixed = out.set_index("actor_id").loc[b]
    assert fixed["name"] == "Nom corrigé" and fixed["themes"] == ["sante"]
    assert log["hidden"] == [c]
    assert log["unknown"] == [{"kind": "hide", "actor_id": "disparu-83137",
                               "reason": "no actor with this id in the current data"}]
    assert {d["kind"] for d in log["applied"]} == {"move", "set", "hide"}
