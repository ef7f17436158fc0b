"""`chorus bot` starting against a local Discord: sync to CHORUS_DEV_GUILD, and the one line
it prints for a missing or rejected token; the two endpoint settings refuse anything but
loopback."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings
from tests.discord.bot_process import BotProcess, bot_env
from tests.discord.local_discord import APP_ID, LocalDiscord

pytestmark = pytest.mark.slow

DEV_GUILD = 960000000000000001


@pytest.fixture(scope="module")
def fake() -> Iterator[LocalDiscord]:
    server = LocalDiscord(token="the-right-token")
    server.add_guild(DEV_GUILD)
    server.start()
    yield server
    server.stop()


def run_bot(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "bot"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_commands_sync_to_the_dev_guild(fake: LocalDiscord, tmp_path: Path) -> None:
    env = bot_env(fake, tmp_path / "data", CHORUS_DEV_GUILD=str(DEV_GUILD))
    process = BotProcess(env, tmp_path)
    try:
        process.wait_connected(fake)
    finally:
        process.stop()
    syncs = [r.path for r in fake.requests(kind="sync")]
    assert syncs == [f"/applications/{APP_ID}/guilds/{DEV_GUILD}/commands"]


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("", "chorus: DISCORD_TOKEN is not set"),
        ("a-wrong-token", "chorus: Discord rejected DISCORD_TOKEN"),
    ],
)
def test_a_missing_or_rejected_token_is_one_line(
    fake: LocalDiscord, tmp_path: Path, token: str, expected: str
) -> None:
    done = run_bot(bot_env(fake, tmp_path / "data", DISCORD_TOKEN=token), tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected), done.stderr  # no voice warnings
    if token:  # it was Discord (the local one) that refused it
        assert any(
            r.path == "/users/@me" and r.headers.get("Authorization") == f"Bot {token}"
            for r in fake.requests()
        )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CHORUS_DISCORD__API_BASE", "https://discord.example.com/api/v10"),
        ("CHORUS_DISCORD__API_BASE", "http://10.0.0.5:8080/api/v10"),
        ("CHORUS_DISCORD__API_BASE", "ws://127.0.0.1:8080/api/v10"),
        ("CHORUS_DISCORD__GATEWAY_URL", "wss://gateway.example.com/"),
        ("CHORUS_DISCORD__GATEWAY_URL", "http://127.0.0.1:8080/gateway"),
    ],
)
def test_the_local_discord_settings_refuse_all_but_loopback(
    name: str, value: str, make_settings: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=f"bad setting {name}"):
        load_settings(env_file=None)


def test_the_local_discord_settings_accept_loopback(
    make_settings: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHORUS_DISCORD__API_BASE", "http://127.0.0.1:8123/api/v10/")
    monkeypatch.setenv("CHORUS_DISCORD__GATEWAY_URL", "ws://[::1]:8123/gateway")
    settings = load_settings(env_file=None)
    assert settings.discord.api_base == "http://127.0.0.1:8123/api/v10"
    assert settings.discord.gateway_url == "ws://[::1]:8123/gateway"
