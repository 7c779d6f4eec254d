"""The built wheel ships the reference data, templates and static assets (pelican-style check)."""

from __future__ import annotations

import shutil
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
    # Built from a copy: setuptools works in <project>/build/, which is safi-map's own output
    # folder (a build after the tests would refuse its bdist.*/lib leftovers).
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "safi_map", source / "safi_map",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    before = sorted((ROOT / "build").glob("*"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(source)],
        check=True, capture_output=True, text=True,
    )
    assert sorted((ROOT / "build").glob("*")) == before  # nothing left in the project's build/
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
