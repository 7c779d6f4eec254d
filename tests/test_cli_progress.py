"""Live progress on a terminal (French labels, one bar per long step), nothing otherwise."""

from __future__ import annotations

import io
import sys
import time

import pytest

from safi_map.cli.base import PhasedProgress, Progress, progress_bars, progress_enabled
from safi_map.core import i18n


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def french():
    previous = i18n.current_language()
    i18n.set_language("fr")
    yield
    i18n.set_language(previous)


def test_bars_only_on_a_terminal_and_not_quiet(monkeypatch):
    monkeypatch.delenv("TERM", raising=False)
    assert progress_enabled(False, Terminal())
    assert not progress_enabled(True, Terminal())
    assert not progress_enabled(False, io.StringIO())
    monkeypatch.setenv("TERM", "dumb")
    assert not progress_enabled(False, Terminal())


def test_every_stage_draws_a_french_bar(monkeypatch, french):
    monkeypatch.delenv("TERM", raising=False)
    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    with progress_bars(False) as progress:
        for stage, total in (("read", 7), ("geocode", 40), ("posters", 12), ("site", 349)):
            progress(stage, 1, total)
            progress(stage, total, total)
    text = screen.getvalue()
    for label in ("Lecture des enquêtes", "Géocodage en ligne", "Dessin des affiches",
                  "Construction du site"):
        assert label in text, text
    assert "349/349" in text and "12/12" in text


@pytest.mark.slow
def test_a_started_stage_shows_it_is_alive_before_its_first_count(monkeypatch, french):
    """The build printed nothing for two minutes between reading and the first page."""
    monkeypatch.delenv("TERM", raising=False)
    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    progress = Progress(progress_enabled(False))
    progress.start("site")
    time.sleep(2.3)  # the ticker redraws every second, with the time spent
    progress.close()
    text = screen.getvalue()
    assert "Construction du site" in text
    assert "00:02" in text, text


def test_the_ingest_bars_are_cleared_before_its_summary_and_the_site(monkeypatch, french):
    """``safi-map build`` prints the ingest summary between the ingest and the site: the
    reading bar must be gone by then, not left ticking during the site."""
    monkeypatch.delenv("TERM", raising=False)
    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    progress = PhasedProgress(False)
    progress("read", 1, 2)
    ingest_bars = progress.current
    assert set(ingest_bars.bars) == {"read"}
    progress.next_phase()
    assert ingest_bars.bars == {} and progress.current is not ingest_bars
    progress.start("site")
    assert set(progress.current.bars) == {"site"}
    progress.close()
    assert progress.current.bars == {}
    assert "Lecture des enquêtes" in screen.getvalue()


def test_nothing_is_drawn_when_quiet_or_not_a_terminal(monkeypatch):
    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    with progress_bars(True) as progress:
        progress.start("site")
        progress("read", 1, 2)
    assert screen.getvalue() == ""
    pipe = io.StringIO()
    monkeypatch.setattr(sys, "stderr", pipe)
    with progress_bars(False) as progress:
        progress("read", 1, 2)
    assert pipe.getvalue() == ""


def test_posters_report_their_progress(monkeypatch, tmp_path):
    from safi_map.export import poster_set as export

    drawn = []
    monkeypatch.setattr(export, "export", lambda actors, out, selection, **kw: drawn.append(out))
    heard = []
    token = export.POSTER_PROGRESS.set(lambda done, total: heard.append((done, total)))
    try:
        export._draw_posters(None, [(tmp_path / f"{i}.pdf", None) for i in range(3)], {})
    finally:
        export.POSTER_PROGRESS.reset(token)
    assert len(drawn) == 3
    assert heard == [(0, 3), (1, 3), (2, 3), (3, 3)]
