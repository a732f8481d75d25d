"""Docs as tests: every `kg` command that README.md and docs/*.md show is run, so that the docs and
the CLI cannot drift apart.

- Each command of a shell code block (```sh) runs for real, in document order, in a built copy of
  the project (reasoner off), and must exit 0. Commands that start a server (`kg serve`) or need a
  remote one (`kg publish`) are skipped, with the test that covers them named.
- Each synopsis in inline code (`kg export FILE [--format ttl|nt]`) is parsed by the real argument
  parser, with its placeholders filled in and each alternative on its own, and must be accepted.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kg import api
from kg.cli import parser
from kg.release import stamp

from conftest import ROOT, copy_project, project_settings

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL = ("sh", "bash", "shell", "console")
SKIP = {
    "serve": "starts the server (tests/web/ start it with tests/servers.py)",
    "publish": "needs a remote SPARQL server (tests/test_remote.py publishes to one)",
}
# Example values the docs use, made to exist before the commands run
EXAMPLE_VERSION = "2025.03.04"  # docs/curation.md: `kg diff 2025.03.04`


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def shell_commands(path: Path) -> list[tuple[str, str]]:
    """(where, command) for each command of the file's shell code blocks; a command continues over
    lines ending in a backslash and over lines inside an open quote."""
    out, block, buffer, start = [], None, "", 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        fence = re.match(r"^```(\w*)", line)
        if fence:
            block = fence[1] if block is None else None
            continue
        if block not in SHELL:
            continue
        if not buffer:
            start = number
        buffer += line + "\n"
        if line.endswith("\\"):
            continue
        try:
            words = shlex.split(buffer, comments=True)
        except ValueError:  # an open quote: the command goes on
            continue
        if words:
            out.append((f"{rel(path)}:{start}", buffer.strip()))
        buffer = ""
    return out


def kg_words(command: str) -> list[str] | None:
    """The command's words from `kg` on (environment assignments before it dropped); None when it is
    not a `kg` command."""
    words = shlex.split(command.replace("\\\n", " "), comments=True)
    while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
        words = words[1:]
    if words and words[0] in ("kg", ".venv/bin/kg"):
        return words[1:]
    return None


COMMANDS = [(where, cmd) for path in DOCS for where, cmd in shell_commands(path) if kg_words(cmd) is not None]


def test_the_docs_show_commands():
    assert len(COMMANDS) >= 6
    assert {rel(p) for p in DOCS if any(w.startswith(rel(p)) for w, _ in COMMANDS)} >= {
        "README.md",
        "docs/curation.md",
        "docs/sparql.md",
    }


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A built copy of the project (with its named queries), a release stamped with the docs'
    example version, and an environment where `kg` and `.venv/bin/kg` are the checkout's."""
    root = copy_project(tmp_path_factory.mktemp("docs"))
    shutil.copytree(ROOT / "queries", root / "queries")
    (root / ".venv").symlink_to(Path(sys.executable).parents[1])
    settings = project_settings(root=root, build_dir=root / "build", reasoner=False)
    api.build(settings)
    stamp.stamp(settings, EXAMPLE_VERSION)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KG_")},
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "KG_ROOT": str(root),
        "KG_BUILD_DIR": str(root / "build"),
        "KG_REASONER": "0",
    }
    return root, env


@pytest.mark.slow
@pytest.mark.parametrize("where, command", COMMANDS, ids=[w for w, _ in COMMANDS])
def test_each_command_in_the_docs_runs(project, where, command):
    words = kg_words(command)
    assert words is not None
    if words and words[0] in SKIP:
        pytest.skip(f"kg {words[0]} {SKIP[words[0]]}")
    root, env = project
    done = subprocess.run(
        ["bash", "-c", command],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, f"{where}: `{command}` exited {done.returncode}:\n{done.stderr[-2000:]}"
    assert done.stdout.strip() or done.stderr.strip(), f"{where}: `{command}` said nothing"


# --- synopses ----------------------------------------------------------------------------------------

PLACEHOLDERS = {"P": "8000", "V": "1.0.0", "H": "127.0.0.1", "FILE": "out.ttl", "F": "query.rq", "QUERY": "ASK {}"}


def synopses() -> list[tuple[str, str]]:
    """(where, text) of each `kg ...` in inline code of the docs, `&&` chains split."""
    out = []
    for path in DOCS:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for code in re.findall(r"`((?:\.venv/bin/)?kg [^`]+)`", line):
                for part in code.split("&&"):
                    out.append((f"{rel(path)}:{number}", part.strip().removeprefix(".venv/bin/")))
    return list(dict.fromkeys(out))


def alternatives(synopsis: str) -> list[list[str]]:
    """The argument lists a synopsis stands for: `A | B` at the top level is two; `x|y` in a value
    is its first; brackets, ellipses and `/`-alternatives are dropped; placeholders get values."""
    text = synopsis.replace("\\|", "|").replace("…", "").replace("...", "")
    words = text.split()[1:]  # after `kg`
    command = words[0]
    branches: list[list[str]] = [[]]
    for word in words[1:]:
        if word == "|":
            branches.append([])
            continue
        word = word.strip("[]").split("|")[0]
        if re.fullmatch(r"[a-z]+(/[a-z]+)+", word):  # csv/xlsx
            word = word.split("/")[0]
        if word:
            branches[-1].append(PLACEHOLDERS.get(word, word))
    return [[command, *branch] for branch in branches]


SYNOPSES = synopses()


@pytest.mark.parametrize("where, synopsis", SYNOPSES, ids=[f"{w} {s}" for w, s in SYNOPSES])
def test_each_synopsis_in_the_docs_is_accepted_by_the_cli(where, synopsis):
    known = {name for action in parser()._subparsers._group_actions for name in action.choices}
    for argv in alternatives(synopsis):
        assert argv[0] in known, f"{where}: `{synopsis}` names no kg command"
        if len(argv) == 1:
            continue  # a mention of the command, not a synopsis
        try:
            parser().parse_args(argv)
        except SystemExit as exc:
            pytest.fail(f"{where}: `{synopsis}` is not accepted by kg ({argv}): exit {exc.code}")
