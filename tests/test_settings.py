"""Settings cannot silently misfire: per-stage values merge, typos are errors, every configuration
error is one line naming the variable (exit 2), one env file for every process, a var dir that
does not depend on the current directory, read-only commands that never start Redis."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline import config
from pipeline.cli import cli
from pipeline.settings import PROJECT_ROOT, STAGES, Settings

REPO = Path(__file__).resolve().parents[1]


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


def test_a_partial_per_stage_override_changes_only_the_stages_it_names() -> None:
    settings = Settings(retry_max='{"email": 5}')  # type: ignore[arg-type]
    default = Settings().retry_max
    assert settings.retry_max == {**default, "email": 5}
    assert all(v > 0 for k, v in settings.retry_max.items() if k != "email")


def test_a_scalar_per_stage_value_applies_to_every_stage() -> None:
    assert set(Settings(job_timeout_s="45").job_timeout_s.values()) == {45}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"PIPELINE_RETRY_MAX": '{"emial": 5}'},
            r"^PIPELINE_RETRY_MAX='\{\"emial\": 5\}': unknown stage 'emial' \(did you mean 'email'\?\); expected a",
        ),
        (
            {"PIPELINE_RETRYMAX": "3"},
            r"^PIPELINE_RETRYMAX='3': unknown setting \(did you mean 'PIPELINE_RETRY_MAX'\?\)$",
        ),
        ({"PIPELINE_FETCH_RETRIES": "many"}, r"^PIPELINE_FETCH_RETRIES='many': .*valid integer"),
        ({"PIPELINE_RETRY_CAP_S": "{oops"}, r"^PIPELINE_RETRY_CAP_S='\{oops': not valid JSON; expected a JSON object"),
        (
            {"REDIS_URL": "localhost:6379"},
            r"^REDIS_URL='localhost:6379': not a Redis URL; expected a URL such as redis://",
        ),
        ({"PIPELINE_LOG_LEVEL": "verbose"}, r"^PIPELINE_LOG_LEVEL='verbose': .*'DEBUG', 'INFO', 'WARNING' or 'ERROR'"),
    ],
)
def test_every_configuration_error_is_one_line_naming_the_variable_with_exit_2(
    env: dict[str, str], expected: str
) -> None:
    code, output = run("status", env=env)
    assert code == 2, output
    [line] = output.strip().splitlines()
    assert re.search(expected, line.removeprefix("Error: ")), line


def test_a_bad_log_level_option_is_one_line_with_exit_2() -> None:
    code, output = run("--log-level", "verbose", "status")
    assert code == 2
    assert output.strip().splitlines() == ["Error: --log-level 'verbose': expected one of DEBUG, INFO, WARNING, ERROR"]


def test_the_env_file_is_read_and_the_real_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / "prod.env"
    env_file.write_text(
        f"PIPELINE_VAR_DIR={tmp_path / 'state'}\nPIPELINE_RETRY_MAX='{{\"qa\": 7}}'\nPIPELINE_SMTP_PORT=2525\n"
    )
    monkeypatch.setenv("PIPELINE_ENV_FILE", str(env_file))
    monkeypatch.setenv("PIPELINE_SMTP_PORT", "587")
    settings = config.load()
    assert settings.var_dir == tmp_path / "state"
    assert settings.retry_max["qa"] == 7
    assert settings.smtp_port == 587
    assert settings.env_file == env_file


def test_a_typo_in_the_env_file_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("PIPELINE_SMTP_HOTS=mail.example\n")
    monkeypatch.setenv("PIPELINE_ENV_FILE", str(env_file))
    with pytest.raises(
        config.ConfigError, match=rf"PIPELINE_SMTP_HOTS='mail.example' \(in {env_file}\): unknown.*SMTP_HOST"
    ):
        config.load()


def test_a_missing_env_file_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPELINE_ENV_FILE", str(tmp_path / "nope.env"))
    code, output = run("status")
    assert code == 2
    assert "PIPELINE_ENV_FILE=" in output and "no such file" in output


def test_a_relative_var_dir_is_under_the_checkout_whatever_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert Settings(var_dir="var").var_dir == PROJECT_ROOT / "var"  # type: ignore[arg-type]


def test_env_example_lists_every_setting_once() -> None:
    listed = re.findall(r"^#?([A-Z_]+)=", (REPO / ".env.example").read_text(), flags=re.M)
    expected = sorted(config.variable_for(name) for name in Settings.model_fields)
    assert sorted(listed) == expected, "regenerate it: pipeline config example > .env.example"


def test_env_is_git_ignored() -> None:
    assert ".env" in (REPO / ".gitignore").read_text().splitlines()


@pytest.mark.parametrize("args", [["status"], ["leads"], ["lead", "x"], ["dlq", "list"], ["dlq", "show", "x"]])
def test_read_only_commands_never_start_the_embedded_redis(tmp_path: Path, args: list[str]) -> None:
    var = tmp_path / "v"
    code, output = run(*args, env={"PIPELINE_VAR_DIR": str(var)})
    assert code == 1
    assert "the embedded Redis is not running" in output and "pipeline redis start" in output
    assert not (var / "redis" / "redis.pid").exists()


def test_config_get_prints_one_setting_for_scripts(tmp_path: Path) -> None:
    code, output = run("config", "get", "var_dir", env={"PIPELINE_VAR_DIR": str(tmp_path)})
    assert (code, output.strip()) == (0, str(tmp_path))


def test_a_retry_strategy_is_one_word_for_every_stage_or_a_partial_json_override() -> None:
    assert Settings(retry_strategy="linear").retry_strategy == dict.fromkeys(STAGES, "linear")  # type: ignore[arg-type]
    partial = Settings(retry_strategy='{"email": "fixed"}').retry_strategy  # type: ignore[arg-type]
    assert partial["email"] == "fixed" and partial["scrape"] == "exponential"


def test_every_pipeline_variable_named_anywhere_is_a_setting() -> None:
    """A `PIPELINE_*` name that is not a setting would be refused by every command (cron exports its
    variables to the jobs, so not even the crontab may use that prefix for its own)."""
    known = set(config.variable_names())
    files = [REPO / name for name in ("README.md", "Makefile", "Procfile", "crontab", ".env.example")]
    for folder in ("pipeline", "workers", "benchmarks", "scripts", "docs"):
        files += [p for p in (REPO / folder).rglob("*") if p.suffix in (".py", ".sh", ".md")]
    named = {v for f in files if f.is_file() for v in re.findall(r"PIPELINE_[A-Z][A-Z0-9_]*[A-Z0-9]", f.read_text())}
    assert named - known == set()
