"""The site's templates, compiled to Python when the package is made, not in every build.

Jinja2 turns each template into Python source, then Python compiles it: about a quarter of a
second for the site's templates, in every ``safi-map build`` (a tenth of a rebuild after a
stop). :func:`write` compiles them once, with the site's environment
(:func:`safi_map.site.env.make_environment`), into ``resources/compiled-templates.zip`` —
one module per template, as :meth:`jinja2.Environment.compile_templates` names them — with a
manifest of the digests of the templates they come from and of the Jinja2 version.
:func:`package_loader` gives a :class:`jinja2.ModuleLoader` over it when the manifest still
matches the templates and Jinja2 installed, else the plain :class:`jinja2.PackageLoader`: a
template edited without regenerating is slower, never stale.

Why not Jinja2's bytecode cache: it keeps compiled code in the build folder, and whoever can
write there would get code run by the next build. This file is part of the package, like its
modules. Regenerate after editing a template::

    python scripts/compile_templates.py

``tests/test_compiled_templates.py`` checks the shipped file matches the templates.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

__all__ = ["ARCHIVE", "compiled", "manifest", "package_loader", "write"]

ARCHIVE = "compiled-templates.zip"
"""The archive's name in ``safi_map/resources``."""
_MANIFEST = "manifest.json"
_FOLDER = "resources/templates"


def _resources() -> Path:
    return Path(str(resources.files("safi_map").joinpath("resources")))


def manifest() -> dict[str, Any]:
    """What compiled templates must have been made from: Jinja2's version and the digest of
    each template of the package."""
    folder = _resources() / "templates"
    digests = {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
               for path in sorted(folder.rglob("*.html"))}
    return {"jinja2": jinja2.__version__, "templates": digests}


def package_loader(archive: Path | None = None) -> jinja2.BaseLoader:
    """The loader of the package's templates: compiled ones (``archive``, default: the
    package's) when they are up to date, else the templates themselves."""
    archive = archive if archive is not None else _resources() / ARCHIVE
    try:
        with zipfile.ZipFile(archive) as zf:
            shipped = json.loads(zf.read(_MANIFEST))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        shipped = None
    if shipped is not None and shipped == manifest():
        return jinja2.ModuleLoader(str(archive))
    return jinja2.PackageLoader("safi_map", _FOLDER)


def compiled(env: jinja2.Environment) -> dict[str, str]:
    """Module file name -> Python source of every package template, compiled in ``env``."""
    loader = jinja2.PackageLoader("safi_map", _FOLDER)
    out: dict[str, str] = {}
    for name in loader.list_templates():
        source, filename, _ = loader.get_source(env, name)
        out[jinja2.ModuleLoader.get_module_filename(name)] = env.compile(
            source, name, filename, raw=True, defer_init=True)
    return out


def write(env: jinja2.Environment) -> Path:
    """Write the archive (deterministic: fixed dates, sorted names) and return its path."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        entries = {**compiled(env), _MANIFEST: json.dumps(manifest(), indent=1,
                                                           sort_keys=True)}
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, entries[name])
    from safi_map.core.atomic import write_file_atomic

    target = _resources() / ARCHIVE
    write_file_atomic(target, buffer.getvalue())
    return target
