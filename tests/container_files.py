"""Baton's Dockerfile, .dockerignore and compose.yaml read for the container tests, without a Docker daemon.

The Dockerfile goes through BuildKit's own parser (the `dockerfile` package) and compose.yaml through a YAML
loader; what stays here is what Docker does after parsing: global ARG defaults in FROM, ENV values unquoted,
.dockerignore matching (`**`, parent directories, the last pattern wins, `!`) and compose's `${VAR}` forms.
"""

from __future__ import annotations

import re
import shlex
import signal
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dockerfile
import yaml

REPO = Path(__file__).resolve().parents[1]
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
COMPOSE = REPO / "compose.yaml"
COMPOSE_ENV_EXAMPLE = REPO / "docker" / "compose.env.example"


# -- Dockerfile ----------------------------------------------------------------------------------------------

Instruction = dockerfile.Command
_SHELL_OPERATORS = {"&&", "||", ";", "|", "&"}
_ARG_REFERENCE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


@dataclass(frozen=True)
class Healthcheck:
    options: dict[str, str]
    command: list[str]


@dataclass(frozen=True)
class Copy:
    sources: list[str]
    destination: str
    from_stage: str | None


def exec_form(instruction: Instruction) -> list[str]:
    """The argument list of an exec-form (JSON array) instruction; shell form is an error here."""
    if not instruction.json:
        raise ValueError(f"{instruction.original!r} is in shell form, not a JSON array")
    return list(instruction.value)


def _unquote(word: str) -> str:
    """A word as the shell would read it: `"two words"` is `two words`."""
    [value] = shlex.split(word) or [""]
    return value


def _flags(instruction: Instruction) -> dict[str, str]:
    return dict(flag.removeprefix("--").partition("=")[::2] for flag in instruction.flags)


@dataclass(frozen=True)
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction]

    def all(self, name: str) -> list[Instruction]:
        return [i for i in self.instructions if i.cmd == name.upper()]

    def last(self, name: str) -> Instruction | None:
        found = self.all(name)
        return found[-1] if found else None

    def index(self, name: str) -> int:
        """Position of the last `name` instruction in the stage, -1 when there is none."""
        positions = [n for n, i in enumerate(self.instructions) if i.cmd == name.upper()]
        return positions[-1] if positions else -1

    def env(self) -> dict[str, str]:
        """Every ENV of the stage, later ones winning."""
        values: dict[str, str] = {}
        for instruction in self.all("ENV"):
            pairs = instruction.value
            values.update((pairs[n], _unquote(pairs[n + 1])) for n in range(0, len(pairs), 2))
        return values

    def user(self) -> tuple[str, str | None] | None:
        """The last USER as (user, group), None when the stage sets none."""
        instruction = self.last("USER")
        if instruction is None:
            return None
        user, sep, group = instruction.value[0].partition(":")
        return user, group if sep else None

    def exposed_ports(self) -> list[int]:
        """Every EXPOSEd TCP port (`3000` and `3000/tcp` alike)."""
        ports = [word for instruction in self.all("EXPOSE") for word in instruction.value]
        return [int(port.removesuffix("/tcp")) for port in ports if not port.endswith("/udp")]

    def stop_signal(self) -> signal.Signals | None:
        """STOPSIGNAL as a signal, whether written `SIGTERM`, `TERM` or `15`."""
        instruction = self.last("STOPSIGNAL")
        if instruction is None:
            return None
        word = instruction.value[0].upper()
        return signal.Signals(int(word)) if word.isdigit() else signal.Signals["SIG" + word.removeprefix("SIG")]

    def healthcheck(self) -> Healthcheck | None:
        """The last HEALTHCHECK's options and exec-form command; None when there is none or it is `NONE`."""
        instruction = self.last("HEALTHCHECK")
        if instruction is None or instruction.value[0].upper() == "NONE":
            return None
        if instruction.value[0].upper() != "CMD" or not instruction.json:
            raise ValueError(f"{instruction.original!r}: use the exec form `HEALTHCHECK ... CMD [...]`")
        return Healthcheck(_flags(instruction), list(instruction.value[1:]))

    def entry_command(self) -> list[str]:
        """What `docker run IMAGE` executes: ENTRYPOINT followed by CMD, both in exec form."""
        entrypoint, cmd = self.last("ENTRYPOINT"), self.last("CMD")
        return (exec_form(entrypoint) if entrypoint else []) + (exec_form(cmd) if cmd else [])

    def copies(self) -> list[Copy]:
        """Every COPY: its sources, destination and the stage it copies from (None: the build context)."""
        return [
            Copy(list(c.value[:-1]), c.value[-1], _flags(c).get("from")) for c in self.all("COPY") if not c.heredocs
        ]

    def commands(self) -> list[list[str]]:
        """The simple commands the stage's RUNs execute: each shell-form RUN split on `&&`, `;`, `|`..."""
        found: list[list[str]] = []
        for run in self.all("RUN"):
            if run.json:
                found.append(list(run.value))
                continue
            lexer = shlex.shlex(" ".join(run.value), posix=True, punctuation_chars=True)
            lexer.whitespace_split = True
            current: list[str] = []
            for token in lexer:
                if token in _SHELL_OPERATORS:
                    found.append(current)
                    current = []
                else:
                    current.append(token)
            found.append(current)
        return [command for command in found if command]


def parse_dockerfile(text: str) -> list[Stage]:
    """The build stages in order; global ARG defaults are substituted into each FROM."""
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for instruction in dockerfile.parse_string(text):
        if instruction.cmd == "ARG" and not stages:
            for word in instruction.value:
                key, _, default = word.partition("=")
                global_args[key] = _unquote(default)
        elif instruction.cmd == "FROM":
            image, *alias = instruction.value
            base = _ARG_REFERENCE.sub(lambda m: global_args.get(m.group(1) or m.group(2), m.group(0)), image)
            name = alias[1] if len(alias) == 2 and alias[0].upper() == "AS" else None
            stages.append(Stage(base=base, name=name, instructions=[]))
        elif not stages:
            raise ValueError(f"{instruction.original!r} before the first FROM")
        else:
            stages[-1].instructions.append(instruction)
    return stages


def dockerfile_stages() -> list[Stage]:
    return parse_dockerfile(DOCKERFILE.read_text())


def runtime_stage() -> Stage:
    """The last stage: what `docker build` makes the image from."""
    return dockerfile_stages()[-1]


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
