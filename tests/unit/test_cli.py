"""The ``stationmaster`` command line: every option is checked by the parser (a usage
line and a one-line error, exit 2, no traceback) and every command is described."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from support.server import command_env

from stationmaster.server.cli import _parser

MIGRATE = ["migrate-es", "--source", "http://a:9200", "--dest", "http://b:9200"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["serve", "--port", "99999"], "argument --port: a port is 0 to 65535: '99999'"),
        (["serve", "--port", "-1"], "argument --port: a port is 0 to 65535: '-1'"),
        (["serve", "--port", "http"], "argument --port: not a port number: 'http'"),
        (["serve", "--files-port", "65536"], "argument --files-port: a port is 0 to 65535: '65536'"),
        (["serve", "--log-level", "bogus"], "argument --log-level: invalid choice: 'BOGUS'"),
        (["fileserver", "--port", "70000"], "argument --port: a port is 0 to 65535: '70000'"),
        (["fileserver", "--log-level", "loud"], "argument --log-level: invalid choice: 'LOUD'"),
        (["serve", "--web-port", "80808"], "argument --web-port: a port is 0 to 65535: '80808'"),
        (["web", "--port", "99999"], "argument --port: a port is 0 to 65535: '99999'"),
        (["web", "--log-level", "noisy"], "argument --log-level: invalid choice: 'NOISY'"),
        ([*MIGRATE, "--parallel", "0"], "argument --parallel: must be 1 to 64: '0'"),
        ([*MIGRATE, "--batch-size", "20000"], "argument --batch-size: must be 1 to 10000: '20000'"),
        ([*MIGRATE, "--sample-size", "-3"], "argument --sample-size: must be 0 to 10000: '-3'"),
        (["openapi", "--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_a_bad_option_is_one_error_line(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _parser().parse_args(args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: stationmaster")
    assert f"error: {message}" in err.rstrip().splitlines()[-1]
    assert "Traceback" not in err


def test_log_level_is_case_insensitive() -> None:
    args = _parser().parse_args(["serve", "--log-level", "debug", "--port", "0"])
    assert (args.log_level, args.port) == ("DEBUG", 0)


def test_every_command_has_a_description() -> None:
    parser = _parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices  # type: ignore[union-attr]
    assert set(commands) >= {"serve", "fileserver", "openapi", "hash-password", "migrate-es"}
    for name, sub in commands.items():
        assert sub.description, f"{name} --help has no description"
    assert "OpenAPI 3.1" in parser.format_help() and "OpenAPI 3.1" in commands["openapi"].description


def test_migrate_es_guide_is_printed_from_the_installed_package() -> None:
    # --guide needs neither --source nor --dest, and reads the guide shipped as package data
    done = subprocess.run(
        [sys.executable, "-m", "stationmaster.server.cli", "migrate-es", "--guide"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# ") and "--resume" in done.stdout and "roll back" in done.stdout.lower()
    assert (
        "migrate-es --guide"
        in subprocess.run(
            [sys.executable, "-m", "stationmaster.server.cli", "migrate-es", "--help"],
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
    )


def test_a_bad_option_in_a_real_process_prints_no_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "stationmaster.server.cli", "serve", "--log-level", "bogus"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) <= 4 and "Traceback" not in done.stderr


def test_an_address_that_cannot_be_listened_on_is_one_error_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "stationmaster.server.cli", "serve", "--host", "999.1.1.1", "--port", "0"]
        + ["--files-port", "0", "--data-dir", str(tmp_path / "data")],
        capture_output=True,
        text=True,
        timeout=120,
        env=command_env(),
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("stationmaster: cannot listen on 999.1.1.1:0: ")
