"""Share pictures (issue #16 item 6): the 1200×630 PNG of a link preview, drawn for the region
and each commune, theme and stop when ``site_url`` is set, cached by content, public data only."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from safi_map.core.settings import Settings
from safi_map.core.writer import Writer
from safi_map.export.share_image import (
    HEIGHT,
    WIDTH,
    ShareCanvas,
    SharePicture,
    draw_share_picture,
)
from safi_map.export.share_text import clean_text, font_of, wrap
from safi_map.model.synthetic import synthetic_actors, synthetic_taxonomy, synthetic_tour
from safi_map.site.context import build_context
from safi_map.site.share_images import _pictures, share_image, write_share_images

DOTS = ((5.93, 43.125, "#1b9e77"), (5.94, 43.12, "#d95f02"), (5.92, 43.13, "not a colour"),
        (math.nan, 43.1, "#7570b3"))


@pytest.fixture(scope="module")
def canvas() -> ShareCanvas:
    return ShareCanvas()


def png(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.verify()  # a valid PNG, not truncated
    img = Image.open(io.BytesIO(data))
    assert (img.format, img.size) == ("PNG", (WIDTH, HEIGHT))
    return img


def test_a_valid_deterministic_picture(canvas: ShareCanvas) -> None:
    picture = SharePicture("Les acteurs du SAFI Tour", "Toulon", "3 structures", DOTS,
                           focus="83137", legend=(("Insertion", "#1b9e77", 2),),
                           footer="exemple.org/carte")
    data = canvas.draw(picture)
    png(data)
    assert data == canvas.draw(picture) == draw_share_picture(picture)  # a fresh canvas too
    assert picture.digest() == SharePicture(**picture.__dict__).digest()


def test_a_commune_picture_is_its_own(canvas: ShareCanvas) -> None:
    toulon = SharePicture("T", "Toulon", "1 structure", DOTS[:1], focus="83137")
    nice = SharePicture("T", "Nice", "1 structure", ((7.26, 43.70, "#1b9e77"),), focus="06088")
    a, b = png(canvas.draw(toulon)).convert("RGB"), png(canvas.draw(nice)).convert("RGB")
    assert a.tobytes() != b.tobytes()
    assert toulon.digest() != nice.digest()
    # the map differs, not only the text: the right part (the map) of the two pictures
    assert a.crop((600, 0, WIDTH, HEIGHT)).tobytes() != b.crop((600, 0, WIDTH, HEIGHT)).tobytes()


def test_dots_and_marks_are_drawn(canvas: ShareCanvas) -> None:
    plain = SharePicture("T", "Région", "", ())
    dots = SharePicture("T", "Région", "", ((6.0, 44.0, "#ff0000"),))
    marked = SharePicture("T", "Région", "", (), mark="05061", mark_label="Gap")
    images = [canvas.image(p) for p in (plain, dots, marked)]
    assert len({i.tobytes() for i in images}) == 3
    # the red dot is where 6.0 E, 44.0 N falls: some pixels of pure theme colour
    pixels = np.asarray(images[1])
    assert int(np.all(pixels == (255, 0, 0), axis=-1).sum()) > 20


@pytest.mark.parametrize("title", [
    "<script>alert(1)</script>", "Très long titre " * 60, "Fête 🎉🇫🇷 des voisins 👩‍👩‍👧",
    "", "\x00\x1b[31m\u202e\ufeff tab\tnew\nline", "مرحبا 你好", "A" * 500])
def test_a_hostile_title_does_not_break_drawing(canvas: ShareCanvas, title: str) -> None:
    png(canvas.draw(SharePicture(title, title, title, DOTS, mark="83137", mark_label=title,
                                 legend=((title, "#123456", 3),) * 20, footer=title)))


def test_text_the_font_can_draw() -> None:
    assert clean_text("Fête 🎉 des\nvoisins\x00") == "Fête des voisins"
    assert clean_text("12\u00a0structures") == "12\u00a0structures"  # kept: no break there
    font = font_of(40, bold=True)
    lines = wrap("mot " * 100, font, 300, 2)
    assert len(lines) == 2 and lines[-1].endswith("…")
    assert all(font.getlength(line) <= 300 for line in lines)
    assert wrap("Provence-Alpes-Côte d'Azur", font, 300, 3)[0].endswith("-")  # at a hyphen


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    actors = synthetic_actors(40, seed=3)
    # an actor placed at its street address without consent: its point must not be drawn
    secret = actors.index[0]
    actors.loc[secret, ["contact_consent", "geocode_precision"]] = [False, "housenumber"]
    actors.loc[secret, ["latitude", "longitude"]] = [43.123456, 5.987654]
    settings = Settings().with_(site_url="https://exemple.org/carte/")
    return build_context(actors, taxonomy=synthetic_taxonomy(), tour=synthetic_tour(),
                         settings=settings, out_dir=tmp_path_factory.mktemp("ctx") / "site")


def test_the_pictures_of_a_site(ctx, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    planned = list(_pictures(ctx))
    kinds = [kind for kind, *_rest in planned]
    assert kinds.count("region") == 1
    assert kinds.count("communes") == len(ctx.records.by_commune)
    assert kinds.count("themes") == len(ctx.themes_listed)
    assert kinds.count("stops") == len(ctx.records.stops)
    for *_kr, picture in planned:  # public data only: the secret street point is not there
        assert all((lat, lon) != (43.123456, 5.987654) for lon, lat, _c in picture.dots)
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "notes.txt").write_text("not the tool's")
    (cache / f"{'0' * 32}.png").write_bytes(b"stale")
    with Writer(tmp_path / "site") as writer:
        made = write_share_images(writer, ctx, cache_dir=cache)
    assert made is not None and (made.drawn, made.reused) == (len(planned), 0)
    assert share_image(ctx, "region", "") == made.region == "partage/region.png"
    code = next(iter(ctx.records.by_commune))
    assert share_image(ctx, "communes", code) == f"partage/communes/{code}.png"
    assert share_image(ctx, "communes", "00000") == ""
    first = {p.relative_to(tmp_path / "site"): p.read_bytes()
             for p in (tmp_path / "site").rglob("*.png")}
    assert len(first) == len(planned)
    for data in first.values():
        png(data)
    # the stale entry is pruned, the foreign file kept; a second build draws nothing
    assert (cache / "notes.txt").exists() and not (cache / f"{'0' * 32}.png").exists()
    with Writer(tmp_path / "site") as writer:
        again = write_share_images(writer, ctx, cache_dir=cache)
    assert again is not None and (again.drawn, again.reused) == (0, len(planned))
    assert first == {p.relative_to(tmp_path / "site"): p.read_bytes()
                     for p in (tmp_path / "site").rglob("*.png")}
    with Writer(tmp_path / "site") as writer:
        forced = write_share_images(writer, ctx, cache_dir=cache, force=True)
    assert forced is not None and forced.drawn == len(planned)
    assert first == {p.relative_to(tmp_path / "site"): p.read_bytes()
                     for p in (tmp_path / "site").rglob("*.png")}  # byte-identical


def test_no_pictures_without_site_url(ctx, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base = dict(ctx.base)
    ctx.base["site_url"] = ""
    try:
        with Writer(tmp_path / "site") as writer:
            assert write_share_images(writer, ctx, cache_dir=tmp_path / "cache") is None
    finally:
        ctx.base.clear()
        ctx.base.update(base)
    assert not list((tmp_path / "site").rglob("*.png"))
    assert not (tmp_path / "cache").exists()


def test_the_build_draws_missing_pictures_after_the_site(make_project) -> None:  # type: ignore[no-untyped-def]
    """Like the posters: ``safi_map.build`` writes the site with the cached pictures only,
    says it is ready, then draws the missing ones and writes the site again to name them."""
    import safi_map

    survey = ("Nom de la structure;Thématique(s);Ville;Accord de publication\n"
              "Atelier du Port;Insertion;Toulon;oui\nRadio Rivage;Culture;Hyères;oui\n")
    project = make_project(surveys={"etape.csv": survey},
                           config='[project]\nsite_url = "https://exemple.org/carte/"\n'
                                  '[site]\nposters = false\n')
    site = project.out / "site"
    seen: dict[str, object] = {}

    def ready(summary: object, seconds: float, posters_left: int) -> None:
        seen["pictures"] = sorted(p.name for p in (site / "partage").rglob("*.png"))
        seen["og"] = 'property="og:image"' in (site / "index.html").read_text(encoding="utf-8")
        seen["posters_left"] = posters_left

    first = safi_map.build(project_dir=project.root, on_site=ready)
    assert seen == {"pictures": [], "og": False, "posters_left": 0}
    drawn = sorted(p.name for p in (site / "partage").rglob("*.png"))
    assert first.previews_drawn == len(drawn) > 3 and "region.png" in drawn
    assert 'property="og:image"' in (site / "index.html").read_text(encoding="utf-8")
    again = safi_map.build(project_dir=project.root, on_site=ready)  # all in the cache now
    assert again.previews_drawn == 0 and seen["pictures"] == drawn and seen["og"] is True


def test_a_long_word_is_cut_where_it_stops_fitting() -> None:
    """The binary search finds the cut a letter-by-letter search finds (a title of one
    1,000-letter word once took seconds)."""
    import random

    from safi_map.export.share_text import _longest_prefix, font_of

    font, rng = font_of(40, True), random.Random(1)
    for _ in range(200):
        word = "".join(rng.choice("abcdefghijklmnopqrstuvwxyzAÉ-W")
                       for _ in range(rng.randint(2, 60)))
        width = rng.uniform(5, 400)
        cut = len(word) - 1
        while cut > 1 and font.getlength(word[:cut]) > width:
            cut -= 1
        assert _longest_prefix(word, font, width) == cut, (word, width)
    assert _longest_prefix("W", font, 1.0) == 0
