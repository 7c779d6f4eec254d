"""The README, --help and CI agree (sqlite-utils' test_docs pattern)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from safi_map.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "the quick start has a bash block"
    return [line.strip() for line in block.group(1).splitlines() if line.strip()]


def test_quick_start_is_two_commands_and_ci_runs_the_test_one():
    commands = quick_start_commands()
    assert len(commands) == 2
    assert "safi-map build" in commands[0]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    ci_lines = [line.strip() for line in ci.splitlines() if line.strip() and not line.startswith("#")]
    test_command = commands[1]
    assert any(line.endswith(test_command.replace("python ", "", 1)) and "pytest" in line
               for line in ci_lines), f"CI does not run {test_command!r}"


def test_french_quick_start_matches():
    fr = README.split("### Démarrage rapide", 1)[1].split("\n## ", 1)[0]
    for command in quick_start_commands():
        assert command in fr


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_is_documented_and_has_help(name):
    assert f"safi-map {name}" in README, f"README does not document 'safi-map {name}'"
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Utilisation :" in result.output  # French by default


def readme_synopses() -> dict[str, str]:
    """Each command's synopsis in the README's Commands block: its ``safi-map <name> ...`` line
    and the indented lines continuing it, joined."""
    section = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```\n(.*?)```", section, re.S)
    assert block, "the Commands section starts with a synopsis block"
    synopses: dict[str, str] = {}
    name = None
    for line in block.group(1).splitlines():
        head = re.match(r"safi-map (\S+)", line)
        if head:
            name = head.group(1)
            assert name not in synopses, f"two synopses for 'safi-map {name}'"
            synopses[name] = line
        elif line.strip():
            assert name and line[:1].isspace(), f"stray line in the synopsis block: {line!r}"
            synopses[name] += " " + line.strip()
    return synopses


def _bracket_depth(text: str, end: int) -> int:
    return text.count("[", 0, end) - text.count("]", 0, end)


def test_every_command_has_a_synopsis():
    assert sorted(readme_synopses()) == sorted(cli.commands)


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_option_is_documented(name):
    """Each option is on its own command's synopsis, in [brackets] unless it is required."""
    synopsis = readme_synopses()[name]
    for param in cli.commands[name].params:
        opts = [o for o in getattr(param, "opts", []) if o.startswith("-")]
        if not opts or "--help" in opts:
            continue
        found = [m for o in opts for m in re.finditer(re.escape(o) + r"(?![\w-])", synopsis)]
        assert found, f"'safi-map {name}' option {opts} is not on its README synopsis line"
        for match in found:
            optional = _bracket_depth(synopsis, match.start()) > 0
            assert optional != param.required, (
                f"'safi-map {name}' option {opts} is {'required' if param.required else 'optional'}"
                f" but the README shows it {'optional' if optional else 'required'}")
