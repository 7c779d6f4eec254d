"""The public API resolves, and the CLI stays light."""

from __future__ import annotations

import subprocess
import sys

import safi_map


def test_every_public_name_resolves():
    import importlib
    import pkgutil
    import types

    # load every submodule first: a public name equal to a submodule's would be rebound
    for info in pkgutil.iter_modules(safi_map.__path__):
        importlib.import_module(f"safi_map.{info.name}")
    for name in safi_map.__all__:
        value = getattr(safi_map, name)
        assert value is not None, name
        assert not isinstance(value, types.ModuleType), f"{name} is a module, not the API"
    assert set(safi_map._LAZY) <= set(safi_map.__all__)
    assert callable(safi_map.ingest)


def test_unknown_name_is_an_attribute_error():
    try:
        safi_map.nope  # noqa: B018
    except AttributeError as exc:
        assert "nope" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")


def test_python_m_and_import_do_not_load_geopandas():
    code = "import sys, safi_map.cli.main; print('geopandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    help_out = subprocess.run([sys.executable, "-m", "safi_map", "--help"], capture_output=True,
                              text=True, check=True)
    assert "build" in help_out.stdout and "ingest" in help_out.stdout
