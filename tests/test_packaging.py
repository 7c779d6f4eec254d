"""The built wheel ships the reference data, templates and static assets (pelican-style check)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # whole builds; the README's command runs them

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(ROOT)],
        check=True, capture_output=True, text=True,
    )
    (path,) = out.glob("safi_map-*.whl")
    return zipfile.ZipFile(path)


@pytest.mark.slow
def test_wheel_contains_reference_data(wheel):
    names = set(wheel.namelist())
    packaged = {p.relative_to(ROOT).as_posix() for p in
                (ROOT / "safi_map" / "resources").rglob("*") if p.is_file()}
    assert any(n.startswith("safi_map/resources/reference/communes") for n in packaged)
    missing = sorted(packaged - names)
    assert not missing, f"files missing from the wheel: {missing}"
    assert "safi_map/py.typed" in names


def test_wheel_declares_console_script(wheel):
    entry = next(n for n in wheel.namelist() if n.endswith("entry_points.txt"))
    assert "safi-map = safi_map.cli.main:main" in wheel.read(entry).decode()
