"""The README stays true: its two commands exist, and its configuration table is current."""

from __future__ import annotations

import os
import re
from pathlib import Path

from service.cli import settings_table
from service.config import describe_settings

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


def test_readme_opens_with_the_two_commands() -> None:
    first_block = re.search(r"```sh\n(.*?)```", README, re.S)
    assert first_block is not None
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands == ["./scripts/demo", "./scripts/test"]
    for command in commands:
        assert os.access(ROOT / command, os.X_OK), command
    ci = (ROOT / ".ci" / "run").read_text()
    assert "scripts/test" in ci


def test_configuration_table_matches_the_settings() -> None:
    assert settings_table(describe_settings()) in README
