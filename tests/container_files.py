"""Baton's Dockerfile, .dockerignore and compose.yaml read the way Docker reads them, for the container tests.

No Docker daemon is needed: the Dockerfile is split into stages and instructions (continuations,
comments, exec form, global ARG defaults), .dockerignore patterns are matched with Docker's rules
(`**`, a match on a parent directory excludes what is inside, the last matching pattern wins, `!`
re-includes), and compose's `${VAR}` forms are interpolated as `docker compose` does.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
COMPOSE = REPO / "compose.yaml"
COMPOSE_ENV_EXAMPLE = REPO / "docker" / "compose.env.example"


# -- Dockerfile ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    name: str
    args: str

    def exec_form(self) -> list[str]:
        """The JSON array of ENTRYPOINT/CMD/RUN; a shell-form instruction is an error here."""
        value = json.loads(self.args)
        if not (isinstance(value, list) and all(isinstance(part, str) for part in value)):
            raise ValueError(f"{self.name} {self.args} is not a JSON array of strings")
        return value


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, name: str) -> list[Instruction]:
        return [i for i in self.instructions if i.name == name]

    def last(self, name: str) -> Instruction | None:
        found = self.all(name)
        return found[-1] if found else None

    def index(self, name: str) -> int:
        """Position of the last `name` instruction in the stage, -1 when there is none."""
        positions = [n for n, i in enumerate(self.instructions) if i.name == name]
        return positions[-1] if positions else -1

    def env(self) -> dict[str, str]:
        """Every ENV of the stage, in the `K=V K2=V2` form, later ones winning."""
        values: dict[str, str] = {}
        for instruction in self.all("ENV"):
            for pair in shlex.split(instruction.args):
                key, sep, value = pair.partition("=")
                if not sep:
                    raise ValueError(f"ENV {instruction.args!r}: use the KEY=value form")
                values[key] = value
        return values


@dataclass(frozen=True)
class Healthcheck:
    options: dict[str, str]
    command: list[str]


def _logical_lines(text: str) -> list[str]:
    """Join `\\` continuations and drop comment and blank lines, as Docker's parser does."""
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not pending):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1].rstrip() + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    if pending.strip():
        lines.append(pending.strip())
    return lines


def parse_dockerfile(text: str) -> list[Stage]:
    """The build stages in order; global ARG defaults are substituted into each FROM."""
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in _logical_lines(text):
        word, _, rest = line.partition(" ")
        instruction = Instruction(word.upper(), rest.strip())
        if instruction.name == "ARG" and not stages:
            key, _, default = instruction.args.partition("=")
            global_args[key] = default
        elif instruction.name == "FROM":
            parts = instruction.args.split()
            base = re.sub(r"\$\{?(\w+)\}?", lambda m: global_args.get(m.group(1), m.group(0)), parts[0])
            name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(base=base, name=name))
        elif not stages:
            raise ValueError(f"{instruction.name} before the first FROM")
        else:
            stages[-1].instructions.append(instruction)
    return stages


def healthcheck(instruction: Instruction) -> Healthcheck:
    """Split `HEALTHCHECK --opt=v ... CMD [...]` into its options and exec-form command."""
    options: dict[str, str] = {}
    rest = instruction.args
    while rest.startswith("--"):
        option, _, rest = rest.partition(" ")
        key, _, value = option[2:].partition("=")
        options[key] = value
        rest = rest.lstrip()
    word, _, command = rest.partition(" ")
    if word.upper() != "CMD":
        raise ValueError(f"HEALTHCHECK {instruction.args!r} has no CMD")
    return Healthcheck(options, Instruction("CMD", command.strip()).exec_form())


def dockerfile() -> list[Stage]:
    return parse_dockerfile(DOCKERFILE.read_text())


def entry_command(stage: Stage) -> list[str]:
    """What `docker run IMAGE` executes: ENTRYPOINT followed by CMD, both in exec form."""
    entrypoint = stage.last("ENTRYPOINT")
    cmd = stage.last("CMD")
    return (entrypoint.exec_form() if entrypoint else []) + (cmd.exec_form() if cmd else [])


# -- .dockerignore -------------------------------------------------------------------------------------------


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out + r"\Z")


@dataclass(frozen=True)
class DockerIgnore:
    rules: list[tuple[bool, re.Pattern[str]]]

    @classmethod
    def parse(cls, text: str) -> DockerIgnore:
        rules = []
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            keep = line.startswith("!")
            pattern = line[1:].strip() if keep else line
            rules.append((keep, _pattern_regex(pattern.strip("/"))))
        return cls(rules)

    def excludes(self, path: str) -> bool:
        """Whether the build context leaves `path` (relative, with `/`) out."""
        parts = path.strip("/").split("/")
        candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
        excluded = False
        for keep, regex in self.rules:
            if any(regex.match(candidate) for candidate in candidates):
                excluded = not keep
        return excluded


def dockerignore() -> DockerIgnore:
    return DockerIgnore.parse(DOCKERIGNORE.read_text())


# -- compose.yaml --------------------------------------------------------------------------------------------

_VARIABLE = re.compile(r"\$(?:\$|\{(?P<braced>[A-Za-z_]\w*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|(?P<bare>[A-Za-z_]\w*))")


class MissingVariable(Exception):
    """A `${VAR:?message}` whose VAR is unset or empty: compose stops with the message."""


def interpolate(value: str, environment: Mapping[str, str]) -> str:
    """Compose's interpolation of one string: `${VAR}`, `${VAR:-default}`, `${VAR:?error}`, `$$`."""

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("braced") or match.group("bare")
        op, arg = match.group("op"), match.group("arg") or ""
        current = environment.get(name)
        unset = current is None or (op is not None and op.startswith(":") and current == "")
        if op in ("-", ":-"):
            return arg if unset else str(current)
        if op in ("?", ":?"):
            if unset:
                raise MissingVariable(f"{name}: {arg}")
            return str(current)
        return current or ""

    return _VARIABLE.sub(one, value)


def variables(value: str) -> set[str]:
    """The names a string refers to with `${VAR...}` or `$VAR`."""
    return {m.group("braced") or m.group("bare") for m in _VARIABLE.finditer(value) if m.group(0) != "$$"}


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def service_environment(service: Mapping[str, Any]) -> dict[str, str]:
    """A service's `environment:` as a mapping (compose also allows a list of KEY=value)."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        return dict(item.partition("=")[::2] for item in raw)
    return {str(key): "" if value is None else str(value) for key, value in raw.items()}


def strings(node: Any) -> list[str]:
    """Every string in a loaded YAML document (keys and values)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, Mapping):
        return [s for key, value in node.items() for s in strings(key) + strings(value)]
    if isinstance(node, list):
        return [s for item in node for s in strings(item)]
    return []


def env_file_names(text: str) -> list[str]:
    """The names a `.env`-style file assigns, in order."""
    names = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            names.append(line.partition("=")[0].strip())
    return names
