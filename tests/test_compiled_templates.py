"""The compiled templates shipped with the package (:mod:`safi_map.site.compiled_templates`)
are those of its templates, and are used only while they are. That they render the pages
the templates do: ``test_site_golden.py`` (the golden files were made from the templates)."""

from __future__ import annotations

import json
import zipfile

import jinja2

from safi_map.site import compiled_templates
from safi_map.site.env import make_environment

STALE = "the compiled templates are stale: run  python scripts/compile_templates.py"


def test_shipped_archive_matches_the_templates():
    archive = compiled_templates._resources() / compiled_templates.ARCHIVE
    with zipfile.ZipFile(archive) as zf:
        assert json.loads(zf.read("manifest.json")) == compiled_templates.manifest(), STALE
        shipped = {n: zf.read(n).decode() for n in zf.namelist() if n != "manifest.json"}
    assert shipped == compiled_templates.compiled(make_environment(compiled=False)), STALE
    assert isinstance(make_environment().loader.loaders[-1], jinja2.ModuleLoader)


def test_a_template_changed_since_falls_back_to_its_source(tmp_path):
    archive = tmp_path / "compiled.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        doc = compiled_templates.manifest()
        doc["templates"]["base.html"] = "0" * 64  # base.html edited after compiling
        zf.writestr("manifest.json", json.dumps(doc))
    assert isinstance(compiled_templates.package_loader(archive), jinja2.PackageLoader)
    assert isinstance(compiled_templates.package_loader(tmp_path / "missing.zip"),
                      jinja2.PackageLoader)
    (tmp_path / "broken.zip").write_bytes(b"not a zip")
    assert isinstance(compiled_templates.package_loader(tmp_path / "broken.zip"),
                      jinja2.PackageLoader)
