""""Signaler une modification" (issue #16 item 7): a link on every actor page to the
coordinator's address or form, prefilled with the actor's id and public fields, URL-encoded;
validated setting; absent when unset."""

from __future__ import annotations

import csv
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from bs4 import BeautifulSoup

from safi_map import ingest, load_settings
from safi_map.core.errors import ConfigError
from safi_map.site.build import build_site
from safi_map.site.report_change import report_href

ROWS = [["Nom de la structure", "Thématique(s)", "Adresse", "CP", "Ville", "Courriel",
         "Téléphone", "Accord de publication"],
        ['Jardin "<b>partagé</b>" & Cie', "Alimentation", "1 rue A", "83000", "Toulon",
         "jardin@example.org", "", "oui"],
        ["Atelier Vélo", "Mobilité", "2 rue B", "06000", "Nice", "velo@example.org",
         "04 93 00 00 01", "non"]]


def project(tmp_path: Path, report_url: str | None) -> Path:
    (tmp_path / "data" / "surveys").mkdir(parents=True)
    with open(tmp_path / "data" / "surveys" / "s.csv", "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=";").writerows(ROWS)
    if report_url is not None:
        (tmp_path / "safi-map.toml").write_text(f'[site]\nreport_url = "{report_url}"\n',
                                                encoding="utf-8")
    return tmp_path


def build(base: Path) -> dict[str, BeautifulSoup]:
    settings = load_settings(base=base)
    result = ingest(settings=settings)
    out = base / "build" / "site"
    build_site(result.actors, taxonomy=result.taxonomy, tour=result.tour,
               settings=settings.with_(posters=False), out_dir=out, changes=None,
               report=result.report)
    pages = {}
    for p in sorted((out / "acteurs").glob("*.html")):
        page = BeautifulSoup(p.read_text(encoding="utf-8"), "html.parser")
        pages[page.select_one("h1").get_text()] = page
    return pages


@pytest.mark.slow
def test_mailto_link_prefilled_with_public_fields(tmp_path: Path) -> None:
    pages = build(project(tmp_path, "mailto:coordination@example.org"))
    assert len(pages) == 2
    links = {name: page.select_one("p.report-change a") for name, page in pages.items()}
    assert all(a is not None and a.get_text() == "Signaler une modification"
               for a in links.values())
    href = links['Jardin "<b>partagé</b>" & Cie']["href"]
    assert href.startswith("mailto:coordination@example.org?subject=")
    query = href.split("?", 1)[1]
    assert all(c not in query for c in ' "<>\n')  # every value URL-encoded
    fields = parse_qs(query)
    assert set(fields) == {"subject", "body"}
    body = fields["body"][0]
    aid = body.split("Identifiant : ", 1)[1].split("\r\n", 1)[0]
    assert (tmp_path / "build" / "site" / "acteurs" / f"{aid}.html").is_file()
    assert 'Nom : Jardin "<b>partagé</b>" & Cie' in body
    assert "Courriel : jardin@example.org" in body  # consented: public
    assert "Commune : Toulon" in body and "Thématiques : Alimentation" in body
    assert body.rstrip().endswith("Ce qui doit changer :")
    assert aid in fields["subject"][0]
    velo = parse_qs(links["Atelier Vélo"]["href"].split("?", 1)[1])["body"][0]
    assert "velo@example.org" not in velo and "04 93" not in velo  # no consent: never sent


@pytest.mark.slow
def test_no_link_without_the_setting(tmp_path: Path) -> None:
    pages = build(project(tmp_path, None))
    assert pages and all(p.select_one("p.report-change") is None for p in pages.values())
    assert all("Signaler" not in p.get_text() for p in pages.values())


@pytest.mark.parametrize("value", ["javascript:alert(1)", "mailto:a@b.org?cc=c@d.org",
                                   "mailto:pas-une-adresse", "ftp://example.org/form",
                                   "https://example.org/f?x={other}", "https://exa mple.org/",
                                   "https://example.org/\\\"onclick=x"])
def test_setting_refuses_other_addresses(tmp_path: Path, value: str) -> None:
    project(tmp_path, value)
    with pytest.raises(ConfigError, match="report_url"):
        load_settings(base=tmp_path)


@pytest.mark.parametrize("value", ["mailto:coordination@example.org",
                                   "https://forms.example.org/x?entry.1={id}&entry.2={message}",
                                   "http://example.org/signaler"])
def test_setting_accepts(tmp_path: Path, value: str) -> None:
    project(tmp_path, value)
    assert load_settings(base=tmp_path).report_url == value


def test_form_links() -> None:
    actor = {"id": "a-1", "url": "acteurs/a-1.html", "name": "A & B?", "commune": "Gap",
             "themes": [{"label": "Culture"}], "email": "", "phone": ""}
    href = report_href("https://f.example/x?entry.1={id}&entry.2={message}", actor,
                       site_title="Carte", site_url="https://ex.org/")
    query = parse_qs(urlsplit(href).query)
    assert query["entry.1"] == ["a-1"]
    assert "Page : https://ex.org/acteurs/a-1.html" in query["entry.2"][0]
    assert "Nom : A & B?" in query["entry.2"][0]
    plain = report_href("https://f.example/signaler", actor, site_title="Carte", site_url="")
    assert plain.startswith("https://f.example/signaler?acteur=a-1&message=")
    assert "Page : acteurs/a-1.html" in unquote(plain)
    assert report_href("", actor, site_title="Carte", site_url="") == ""
