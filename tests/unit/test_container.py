"""The container files without a Docker daemon: the Dockerfile's stages, user, health check and entry command,
what .dockerignore keeps out, and compose.yaml's services, start order, settings and secrets.

`docker compose config` runs too when a compose plugin is installed; the image itself is built only
where a daemon is (tests/e2e/test_container_entry.py runs its entry command outside a container).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.config import Settings, load_settings
from tests.container_files import (
    COMPOSE,
    COMPOSE_ENV_EXAMPLE,
    REPO,
    DockerIgnore,
    MissingVariable,
    Stage,
    compose,
    dockerfile_stages,
    dockerignore,
    env_file_names,
    interpolate,
    parse_dockerfile,
    runtime_stage,
    service_environment,
    strings,
    variables,
)
from tests.helpers import baton_command

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
BATON_SERVICES = ("migrate", "baton")
# Values that make every `${VAR:?…}` of compose.yaml resolve, for the checks that need resolved values.
FILLED = {"POSTGRES_PASSWORD": "pw0123", "SLACK_SIGNING_SECRET": "signing-secret", "SLACK_BOT_TOKEN": "xoxb-1"}


def _services() -> dict[str, Any]:
    services = compose()["services"]
    assert isinstance(services, dict)
    return services


def _programs(stage: Stage) -> list[tuple[str, ...]]:
    """Each command the stage's RUNs execute, as (program name, its words after it)."""
    return [(Path(command[0]).name, *command[1:]) for command in stage.commands()]


def _seconds(duration: str) -> float:
    """A compose duration such as `20s`, `1m30s` or `1500ms`, in seconds."""
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 1e-6}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|h|m|s)", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, f"not a duration: {duration!r}"
    return sum(float(n) * units[u] for n, u in parts)


# -- the readers themselves ----------------------------------------------------------------------------------


def test_the_dockerfile_reader_joins_continuations_and_skips_comments() -> None:
    stages = parse_dockerfile(
        "ARG BASE=python:3.11-slim\n"
        "FROM ${BASE} AS build\n"
        "RUN a \\\n"
        "    # a comment inside a continuation\n"
        "    && b --flag 'two words' > /dev/null\n"
        "FROM ${BASE}\n"
        'ENV A=1 \\\n    B="two words"\n'
        "ENV C 3\n"
        "USER 10001\n"
        "EXPOSE 3000/tcp 53/udp\n"
        "STOPSIGNAL 15\n"
        'HEALTHCHECK --interval=5s CMD ["true"]\n'
        'CMD ["serve"]\n'
    )

    assert [(s.base, s.name) for s in stages] == [("python:3.11-slim", "build"), ("python:3.11-slim", None)]
    assert stages[0].commands() == [["a"], ["b", "--flag", "two words", ">", "/dev/null"]]
    runtime = stages[1]
    assert runtime.env() == {"A": "1", "B": "two words", "C": "3"}
    assert runtime.user() == ("10001", None)
    assert runtime.exposed_ports() == [3000]
    assert runtime.stop_signal() is signal.SIGTERM
    check = runtime.healthcheck()
    assert check is not None and check.options == {"interval": "5s"} and check.command == ["true"]
    assert runtime.entry_command() == ["serve"]


def test_the_dockerfile_reader_refuses_a_shell_form_entry_command() -> None:
    [stage] = parse_dockerfile("FROM scratch\nENTRYPOINT baton serve\n")

    with pytest.raises(ValueError, match="shell form"):
        stage.entry_command()


def test_the_dockerignore_reader_follows_dockers_rules() -> None:
    rules = DockerIgnore.parse("*.db\n**/.venv\ndocs\n!docs/keep.md\n")

    assert rules.excludes("baton.db")
    assert not rules.excludes("sub/baton.db")  # no `**/`: the root only
    assert rules.excludes("sub/.venv/bin/python")  # a match on a parent excludes what is inside
    assert rules.excludes("docs/other.md")
    assert not rules.excludes("docs/keep.md")  # the last matching pattern wins


def test_interpolation_reads_defaults_and_stops_on_a_required_variable() -> None:
    assert interpolate("${A:-x}/${B-y}/$${C}", {"B": ""}) == "x//${C}"
    assert variables("a ${A:?set A} $B $${C}") == {"A", "B"}
    with pytest.raises(MissingVariable, match="set A"):
        interpolate("${A:?set A}", {"A": ""})


# -- Dockerfile ----------------------------------------------------------------------------------------------


def test_the_image_is_built_in_one_stage_and_run_from_a_slim_one() -> None:
    stages = dockerfile_stages()

    assert len(stages) >= 2, "a builder stage and a runtime stage"
    build, runtime = stages[0], stages[-1]
    assert runtime.base == "python:3.11-slim"
    assert build.name, "the builder stage needs a name for COPY --from"
    copies = [c for c in runtime.copies() if c.from_stage == build.name]
    assert copies, "the runtime stage copies the builder's virtualenv"
    assert any(program[:2] == ("pip", "install") for program in _programs(build))
    installers = {("apt-get", "install"), ("apt", "install"), ("apk", "add"), ("pip", "install"), ("pip3", "install")}
    for program in _programs(runtime):
        assert program[:2] not in installers, f"the runtime stage runs {program[:2]}: build in the builder stage"
        assert program[0] not in ("gcc", "cc", "make"), f"the runtime stage compiles ({program[0]})"


def test_the_runtime_runs_as_a_fixed_non_root_uid_before_its_entrypoint() -> None:
    runtime = runtime_stage()
    user = runtime.user()

    assert user is not None, "no USER: the container would run as root"
    uid = user[0]
    assert uid.isdigit() and int(uid) >= 1000, f"USER {uid}: a numeric uid >= 1000 (runAsNonRoot can check it)"
    assert runtime.index("USER") < runtime.index("ENTRYPOINT")
    [useradd] = [words for words in _programs(runtime) if words[0] == "useradd"]
    assert useradd[useradd.index("--uid") + 1] == uid, "the user is created with that uid"


def test_the_runtime_sets_pythons_container_environment_and_the_port() -> None:
    runtime = runtime_stage()
    env = runtime.env()

    assert env.get("PYTHONDONTWRITEBYTECODE") == "1"
    assert env.get("PYTHONUNBUFFERED") == "1"
    assert runtime.exposed_ports() == [Settings.model_fields["port"].default]
    assert env.get("PORT") == str(Settings.model_fields["port"].default)
    assert runtime.stop_signal() is signal.SIGTERM


def test_the_health_check_asks_healthz_on_the_port_with_python() -> None:
    parsed = runtime_stage().healthcheck()

    assert parsed is not None, "no HEALTHCHECK"
    assert parsed.command[0] == "python", "slim images have no curl"
    assert "/healthz" in " ".join(parsed.command)
    assert "PORT" in " ".join(parsed.command), "the check follows PORT, like `baton serve`"
    assert _seconds(parsed.options["timeout"]) < _seconds(parsed.options["interval"])


def test_the_entry_command_is_a_real_baton_subcommand() -> None:
    command = runtime_stage().entry_command()

    assert command[:1] == ["baton"] and "baton" in PYPROJECT["project"]["scripts"]
    assert len(command) >= 2, "CMD names the subcommand"
    result = subprocess.run(
        [*baton_command(), *command[1:], "--help"], capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: baton {command[1]}")


def test_every_copied_source_exists_and_is_in_the_build_context() -> None:
    ignore = dockerignore()
    sources = [
        source
        for stage in dockerfile_stages()
        for copy in stage.copies()
        if copy.from_stage is None
        for source in copy.sources
    ]

    assert sources
    for source in sources:
        assert (REPO / source).exists(), f"COPY {source}: no such file"
        assert not ignore.excludes(source), f"COPY {source}, but .dockerignore leaves it out"
    packages = PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    needed = {"pyproject.toml", PYPROJECT["project"]["readme"]} | {p.rstrip("*") for p in packages}
    assert needed <= set(sources), f"the wheel build needs {sorted(needed - set(sources))}"


def test_dockerignore_keeps_the_venv_git_databases_and_env_out() -> None:
    ignore = dockerignore()

    for path in (".venv/bin/python", ".git/HEAD", "baton.db", "baton.db-wal", "data/x.db", ".env", "bot/__pycache__"):
        assert ignore.excludes(path), f"{path} would be sent to the builder"
    for path in ("pyproject.toml", "README.md", "bot/cli.py", "storage/migrations/env.py"):
        assert not ignore.excludes(path), f"{path} is needed to build"


# -- compose.yaml --------------------------------------------------------------------------------------------


def test_compose_has_postgres_a_one_shot_migration_and_baton() -> None:
    services = _services()

    assert {"postgres", "migrate", "baton"} <= set(services)
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["migrate"]["image"] == services["baton"]["image"], "one image for both"
    assert services["migrate"].get("restart", "no") == "no", "a one-shot job is not restarted"
    assert "command" not in services["baton"] or services["baton"]["command"][0] == "serve"


def test_baton_starts_after_postgres_is_healthy_and_the_migration_has_finished() -> None:
    services = _services()

    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    depends = services["baton"]["depends_on"]
    assert depends["postgres"]["condition"] == "service_healthy"
    assert depends["migrate"]["condition"] == "service_completed_successfully"
    test = services["postgres"]["healthcheck"]["test"]
    assert test[0] == "CMD" and test[1] == "pg_isready"


def test_postgres_keeps_its_data_in_a_named_volume() -> None:
    spec = compose()
    [mount] = [m for m in spec["services"]["postgres"]["volumes"] if m.endswith(":/var/lib/postgresql/data")]

    volume = mount.split(":")[0]
    assert volume in (spec.get("volumes") or {}), f"{volume} is not a named volume"


def test_baton_runs_replicas_that_restart_and_stop_gracefully() -> None:
    baton = _services()["baton"]

    assert baton["deploy"]["replicas"] >= 2
    assert "container_name" not in baton, "a fixed container name allows one replica only"
    assert "ports" not in baton, "replicas cannot share a host port; the proxy publishes one"
    assert baton["restart"] in ("always", "unless-stopped", "on-failure")
    assert _seconds(baton["stop_grace_period"]) >= 15


def test_the_proxy_spreads_requests_over_the_replicas_on_the_exposed_port() -> None:
    proxy = _services()["proxy"]
    [port] = runtime_stage().exposed_ports()
    [mount] = [v for v in proxy["volumes"] if v.endswith(":/etc/caddy/Caddyfile:ro")]
    caddyfile = (REPO / mount.split(":")[0]).read_text()

    upstream = re.search(r"dynamic a \{\s*name (\S+)\s*port (\d+)", caddyfile)
    assert upstream is not None, "the proxy looks the replicas up by the service name"
    assert upstream.groups() == ("baton", str(port))
    assert re.search(r"^\s*respond /metrics 404$", caddyfile, re.M), "/metrics stays off the internet"
    assert "{$BATON_SITE}" in caddyfile and "BATON_SITE" in service_environment(proxy)
    assert proxy["ports"], "the proxy is what the outside reaches"


@pytest.mark.parametrize("service", BATON_SERVICES)
def test_baton_containers_are_read_only_unprivileged_and_write_only_to_tmp(service: str) -> None:
    spec = _services()[service]

    assert spec["read_only"] is True
    assert spec["tmpfs"] == ["/tmp"]
    assert spec["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in spec["security_opt"]


def test_compose_waits_longer_than_gunicorns_graceful_stop() -> None:
    from bot.server import GRACEFUL_SECONDS

    assert _seconds(_services()["baton"]["stop_grace_period"]) > GRACEFUL_SECONDS


@pytest.mark.parametrize("service", BATON_SERVICES)
def test_every_variable_set_on_baton_is_one_of_its_settings(service: str) -> None:
    known = {name.upper() for name in Settings.model_fields}

    unknown = set(service_environment(_services()[service])) - known
    assert not unknown, f"{service} sets {sorted(unknown)}, which bot.config.Settings does not read"


@pytest.mark.parametrize("service", BATON_SERVICES)
def test_secrets_come_from_variables_never_from_the_file(service: str) -> None:
    secrets = {
        name.upper()
        for name, info in Settings.model_fields.items()
        if info.annotation is not None and SecretStr in getattr(info.annotation, "__args__", (info.annotation,))
    }
    environment = service_environment(_services()[service])

    assert secrets, "Settings has SecretStr fields"
    for name in secrets & set(environment):
        assert re.fullmatch(r"\$\{\w+(:?[-?][^}]*)?\}", environment[name]), f"{name} is written into compose.yaml"
        assert not re.search(r":-.+\}", environment[name]), f"{name} has a default value"
    url = environment["DATABASE_URL"]
    password = url.split("://", 1)[1].split("@", 1)[0].partition(":")[2]
    assert re.fullmatch(r"\$\{\w+:\?[^}]+\}", password), "the database password comes from a required variable"


def test_no_token_or_password_is_written_in_compose() -> None:
    text = COMPOSE.read_text()

    assert not re.search(r"xox[abposr]-|xapp-", text)
    postgres_env = service_environment(_services()["postgres"])
    assert variables(postgres_env["POSTGRES_PASSWORD"]) == {"POSTGRES_PASSWORD"}


def test_database_url_points_at_the_postgres_service_with_its_user_and_password() -> None:
    services = _services()
    postgres = {k: interpolate(v, FILLED) for k, v in service_environment(services["postgres"]).items()}

    for service in BATON_SERVICES:
        url = interpolate(service_environment(services[service])["DATABASE_URL"], FILLED)
        expected = (
            f"postgresql+psycopg://{postgres['POSTGRES_USER']}:{postgres['POSTGRES_PASSWORD']}"
            f"@postgres:5432/{postgres['POSTGRES_DB']}"
        )
        assert url == expected
        assert load_settings(database_url=url).database_url == url


def test_compose_stops_when_a_required_secret_is_missing() -> None:
    environment = service_environment(_services()["baton"])

    for name in ("POSTGRES_PASSWORD", "SLACK_SIGNING_SECRET"):
        with pytest.raises(MissingVariable, match=name):
            for value in environment.values():
                interpolate(value, {**FILLED, name: ""})


def test_the_env_example_names_every_variable_compose_reads() -> None:
    used = {name for text in strings(compose()) for name in variables(text)}
    listed = env_file_names(COMPOSE_ENV_EXAMPLE.read_text())

    assert len(listed) == len(set(listed)), "a name listed twice"
    assert used == set(listed), f"only in compose.yaml: {used - set(listed)}; only in the example: {set(listed) - used}"


def test_docker_compose_accepts_the_file() -> None:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("no docker CLI here, so `docker compose config` cannot check compose.yaml")
    version = subprocess.run([docker, "compose", "version"], capture_output=True, text=True, timeout=30, check=False)
    if version.returncode != 0:
        pytest.skip("the docker CLI has no compose plugin here (`docker compose version` fails)")

    result = subprocess.run(
        [docker, "compose", "--file", str(COMPOSE), "--env-file", str(COMPOSE_ENV_EXAMPLE), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **FILLED},
    )
    assert result.returncode == 0, result.stderr


def test_the_deployment_guide_names_only_real_commands_and_services() -> None:
    from bot.cli import _parser

    guide = (REPO / "docs" / "deployment.md").read_text()
    [commands] = [set(a.choices) for a in _parser()._actions if a.choices and "serve" in a.choices]
    services = set(_services())

    found = re.findall(r"baton:local ([a-z]+)|exec -T baton baton ([a-z]+)|`baton ([a-z]+)", guide)
    used = {name for names in found for name in names if name}
    assert {"serve", "db", "manifest", "export", "purge"} <= used
    assert used <= commands, f"not baton subcommands: {used - commands}"
    for service in re.findall(r"docker compose (?:exec -T|logs(?: -f)?|run --rm|stop) ([a-z]+)", guide):
        assert service in services, f"docker compose ... {service}: no such service"
