"""Compile the site's templates into safi_map/resources/compiled-templates.zip.

Run after editing a template in safi_map/resources/templates (see
:mod:`safi_map.site.compiled_templates`; ``tests/test_compiled_templates.py`` says when)::

    python scripts/compile_templates.py
"""

from safi_map.site.compiled_templates import write
from safi_map.site.env import make_environment

if __name__ == "__main__":
    print(write(make_environment(compiled=False)))
