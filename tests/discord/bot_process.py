"""Start the real `chorus bot` as a subprocess against a LocalDiscord (and a LocalModel)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

from tests.discord.local_discord import LocalDiscord
from tests.local_models import LocalModel
from tests.local_server import wait_until

ROOT = Path(__file__).resolve().parents[2]


def bot_env(
    discord: LocalDiscord, data_dir: Path, model: LocalModel | None = None, **settings: str
) -> dict[str, str]:
    """The environment of a user who points `chorus bot` at the local servers; nothing of
    the developer's own CHORUS_ settings leaks in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CHORUS_") and k not in ("DISCORD_TOKEN", "OPENAI_API_KEY")
    }
    env.update(
        DISCORD_TOKEN=discord.token,
        CHORUS_DISCORD__API_BASE=discord.api_base,
        CHORUS_DISCORD__GATEWAY_URL=discord.gateway_url,
        CHORUS_DATA_DIR=str(data_dir),
        ANONYMIZED_TELEMETRY="False",
        ORT_DISABLE_TELEMETRY="1",
        PYTHONPATH=str(ROOT),
    )
    if model is not None:
        env.update(
            CHORUS_LLM="openai:local-model",
            CHORUS_LLM_BASE_URL=model.openai_url,
            OPENAI_API_KEY="local-key",  # the OpenAI client insists on one; any will do
        )
    env.update(settings)
    return env


class BotProcess:
    """`python -m bot bot` in `workdir` (no .env there), its output in a log file."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.log_path = workdir / "bot.log"
        self._log: IO[bytes] = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "bot"],
            cwd=workdir,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_connected(self, discord: LocalDiscord, timeout: float = 120) -> None:
        """Until the bot has identified on the gateway (login and sync came before)."""

        def identified() -> Any:
            if self.proc.poll() is not None:
                raise AssertionError(f"chorus bot exited ({self.proc.returncode}):\n{self.log()}")
            return discord.gateway_ops(2)

        wait_until(identified, timeout, "the bot to IDENTIFY")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()
