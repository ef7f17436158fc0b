"""The one settings tree: environment and `.env`, prefix CHORUS_, nested groups with `__`.

Every field is documented in `.env.example`. Settings are built once at start-up and passed
in; nothing below reads the environment itself.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
import tempfile
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import platformdirs
from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from common.errors import ChorusError
from patterns.params import AnalysisConfig, ListSetting, list_setting
from retrieval.config import RetrievalConfig

ENV_PREFIX = "CHORUS_"
NESTED_DELIMITER = "__"


class Limits(BaseModel):
    """Bounds on work and input; each refusal names the limit it hit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_source_bytes: int = Field(20_000_000, ge=1, description="largest reporting file or page")
    max_dataset_bytes: int = Field(2_000_000_000, ge=1, description="largest post dataset file")
    max_dataset_rows: int = Field(20_000_000, ge=1, description="most posts in one dataset")
    max_field_chars: int = Field(100_000, ge=1, description="longest single field in a dataset")
    max_columns: int = Field(500, ge=1, description="most columns in a dataset file")
    max_items_per_post: int = Field(
        1_000, ge=1, description="most links, hashtags or image hashes in one post"
    )
    max_unpack_ratio: int = Field(
        100, ge=1, description="a gzipped or zipped dataset may unpack to this many times its size"
    )
    analysis_memory: str = Field(
        "512MB", description="DuckDB memory limit per dataset connection (spills to disk past it)"
    )
    analysis_temp_dir: Path | None = Field(
        None, description="where DuckDB spills past the memory limit; empty: the data dir"
    )
    max_question_chars: int = Field(2_000, ge=1, description="longest question or claim")
    max_files_per_ingest: int = Field(5_000, ge=1, description="most files one ingest may add")
    url_timeout_s: float = Field(15.0, gt=0, description="whole-request time limit for a URL")
    url_max_redirects: int = Field(5, ge=0, description="redirects followed per URL")
    request_timeout_s: float = Field(120.0, gt=0, description="limit on one ask/check/ingest")
    max_jobs_per_scope: int = Field(2, ge=1, description="concurrent ingests/analyses per server")
    max_heavy_jobs: int = Field(
        2, ge=1, description="ingests/analyses/charts running at once in the bot, all servers"
    )
    quick_workers: int = Field(4, ge=1, description="bot threads for asks, checks and lists")

    @field_validator("analysis_memory", mode="before")
    @classmethod
    def _memory(cls, value: object) -> object:
        return _memory_size(value) if isinstance(value, str) else value

    @field_validator("analysis_temp_dir", mode="before")
    @classmethod
    def _empty_path_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


class ImageConfig(BaseModel):
    """Images that post datasets name (image_files / image_urls): fetching and decoding."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fetch: bool = Field(True, description="fetch image URLs when a dataset is loaded")
    max_image_bytes: int = Field(10_000_000, ge=1, description="largest image file or download")
    max_total_bytes: int = Field(
        2_000_000_000, ge=1, description="image bytes read or fetched for one dataset"
    )
    max_pixels: int = Field(40_000_000, ge=64, description="largest image, width x height")
    max_images: int = Field(1_000_000, ge=0, description="distinct images hashed per dataset")
    concurrency: int = Field(8, ge=1, le=64, description="images fetched or decoded at once")
    timeout_s: float = Field(10.0, gt=0, description="time limit for one image download")


class DiscordConfig(BaseModel):
    """Chat-specific limits (cooldowns, attachments)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user_cooldown_s: float = Field(5.0, ge=0, description="seconds between one user's requests")
    user_burst: int = Field(3, ge=1, description="requests a user may make before the cooldown")
    guild_cooldown_s: float = Field(1.0, ge=0, description="seconds between a server's requests")
    guild_burst: int = Field(20, ge=1, description="requests a server may make before cooldown")
    max_attachment_bytes: int = Field(25_000_000, ge=1, description="largest accepted attachment")
    # For testing only: a local Discord stand-in. Refused unless the host is loopback, so a
    # typo or a hostile .env cannot send the bot token anywhere but discord.com.
    api_base: str = Field(
        "", description="REST base URL of a local Discord (testing only; loopback only)"
    )
    gateway_url: str = Field(
        "", description="gateway URL of a local Discord (testing only; loopback only)"
    )

    @field_validator("api_base")
    @classmethod
    def _loopback_api(cls, value: str) -> str:
        return _loopback_url(value, ("http", "https"))

    @field_validator("gateway_url")
    @classmethod
    def _loopback_gateway(cls, value: str) -> str:
        return _loopback_url(value, ("ws", "wss"))


_MEMORY = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*([KMGT])(I?)B", re.IGNORECASE)
MEMORY_FORMS = "a number and a unit KB, MB, GB, TB or KiB, MiB, GiB, TiB (e.g. 512MB, 2GiB)"


def _memory_size(value: str) -> str:
    """A size as DuckDB takes it, written in any case ("512mb" -> "512MB")."""
    match = _MEMORY.fullmatch(value.strip())
    if match is None:
        raise ValueError(f"must be {MEMORY_FORMS} (got {value!r})")
    number, unit, binary = match.groups()
    return f"{number}{unit.upper()}{'i' if binary else ''}B"


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _log_level(value: object) -> object:
    """A level in any case: `info` is what people write."""
    if not isinstance(value, str):
        return value
    level = value.strip().upper()
    if level not in LOG_LEVELS:
        raise ValueError(f"must be one of {', '.join(LOG_LEVELS)} (got {value!r})")
    return level


def _role_ids(value: object) -> object:
    """Role ids as `123,456` or a JSON list (as other list settings), kept as `123,456`.

    A role name is the usual mistake, so the message says where the id is found."""
    ids = list_setting(value)
    if not isinstance(ids, (list, tuple)):
        return ids
    parts = [str(part).strip() for part in ids]
    names = [part for part in parts if not part.isdigit()]
    if names:
        raise ValueError(
            f"takes role ids (numbers), not names (got {names[0]!r}); in Discord, with "
            "Developer Mode on, right-click the role in Server Settings > Roles and Copy Role ID"
        )
    return ",".join(parts)


def _loopback_url(value: str, schemes: tuple[str, ...]) -> str:
    """`value` unchanged when empty or a `schemes` URL whose host is a loopback address."""
    value = value.strip()
    if not value:
        return value
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.hostname:
        raise ValueError(f"must be a {' or '.join(schemes)} URL")
    host = parts.hostname
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError("is for testing against a local Discord: only a loopback host is allowed")
    return value.rstrip("/")


def default_data_dir() -> Path:
    """The platform's user data folder (~/.local/share/chorus on Linux), not the current
    directory, so data does not depend on where `chorus` was started."""
    return Path(platformdirs.user_data_dir("chorus", appauthor=False))


class Settings(BaseSettings):
    """Everything Chorus can be told. Flat names for the common ones, groups for tuning."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        env_nested_delimiter=NESTED_DELIMITER,
        extra="forbid",
        frozen=True,
    )

    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="where catalog, index and datasets live (default: the user data folder)",
    )
    llm: str = Field(
        "", description="LangChain model spec (e.g. ollama:llama3.1); empty: extractive"
    )
    llm_timeout_s: float = Field(20.0, gt=0, description="seconds before a model call gives up")
    llm_base_url: str = Field("", description="base URL of the model server (optional)")
    chroma_url: str = Field("", description="Chroma server URL; empty: embedded store in data_dir")
    chroma_collection: str = Field(
        "chorus-chunks",
        pattern=r"^[a-zA-Z0-9][a-zA-Z0-9._-]{1,510}[a-zA-Z0-9]$",
        description="collection name (several Chorus instances can share one server)",
    )
    allow_private_urls: bool = Field(False, description="let URL ingest reach private addresses")
    allowed_url_networks: ListSetting = Field(
        (), description="CIDRs URL ingest may reach even though private (narrower than above)"
    )
    shared_demo: bool = Field(True, description="the bundled demo source is visible everywhere")
    dev_guild: int | None = Field(None, description="sync slash commands to this server only")
    moderator_role: Annotated[str, NoDecode, BeforeValidator(_role_ids)] = Field(
        "", description="role ids (comma-separated) that may add/remove sources and datasets"
    )
    discord_token: SecretStr = Field(
        SecretStr(""),
        validation_alias=AliasChoices("DISCORD_TOKEN", "CHORUS_DISCORD_TOKEN"),
        description="bot token (DISCORD_TOKEN)",
    )
    log_level: Annotated[str, BeforeValidator(_log_level)] = "WARNING"

    limits: Limits = Limits()
    retrieval: RetrievalConfig = RetrievalConfig()
    analysis: AnalysisConfig = AnalysisConfig()
    images: ImageConfig = ImageConfig()
    discord: DiscordConfig = DiscordConfig()

    @field_validator("allowed_url_networks")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for network in value:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise ValueError(f"{network!r} is not an IP network (e.g. 10.1.2.0/24)") from None
        return value

    @field_validator("chroma_url")
    @classmethod
    def _chroma_url(cls, value: str) -> str:
        # Checked with the other settings, so a bad one exits as they do (2), before any work.
        value = value.strip()
        parts = urlsplit(value)
        if value and (parts.scheme not in ("http", "https") or not parts.hostname):
            raise ValueError(
                "must be an http(s) URL, e.g. http://127.0.0.1:8000, or empty for the "
                "embedded store"
            )
        return value

    @field_validator("data_dir", mode="before")
    @classmethod
    def _empty_is_default(cls, value: object) -> object:
        return default_data_dir() if isinstance(value, str) and not value.strip() else value

    @field_validator("dev_guild", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


class SettingsError(ChorusError):
    """A setting that cannot be used; the message names it."""

    exit_code = 2


def _env_name(loc: tuple[Any, ...]) -> str:
    head, *rest = (str(part) for part in loc)
    if head == "discord_token":
        return "DISCORD_TOKEN"
    return ENV_PREFIX + NESTED_DELIMITER.join([head, *rest]).upper()


def _dotenv_name(loc: tuple[Any, ...]) -> str:
    """The name an unknown `.env` key was written as: a top-level one arrives whole, prefix
    and all (DISCORD_TOKN, CHORUS_FOO); a nested one without its prefix."""
    return str(loc[0]).upper() if len(loc) == 1 else _env_name(loc)


def _unknown_env_names(environ: dict[str, str]) -> list[str]:
    """CHORUS_* variables that match no field: a typo would otherwise be silently ignored."""
    known_top = set(Settings.model_fields)
    nested = {
        name: set(field.annotation.model_fields)
        for name, field in Settings.model_fields.items()
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
    }
    unknown = []
    for key in environ:
        if not key.startswith(ENV_PREFIX) or key == "CHORUS_DISCORD_TOKEN":
            continue
        parts = key[len(ENV_PREFIX) :].lower().split(NESTED_DELIMITER)
        if parts[0] not in known_top or (
            len(parts) > 1 and (parts[0] not in nested or parts[1] not in nested[parts[0]])
        ):
            unknown.append(key)
    return sorted(unknown)


def known_setting_names() -> list[str]:
    names = ["DISCORD_TOKEN"]
    for name, field in Settings.model_fields.items():
        sub = field.annotation
        if isinstance(sub, type) and issubclass(sub, BaseModel):
            names += [f"{ENV_PREFIX}{name}{NESTED_DELIMITER}{n}".upper() for n in sub.model_fields]
        elif name != "discord_token":
            names.append(f"{ENV_PREFIX}{name}".upper())
    return names


def _unknown_setting(name: str, *, in_dotenv: bool = False) -> SettingsError:
    """'unknown setting X', with the closest real names: a typo should point at its fix."""
    close = difflib.get_close_matches(name.upper(), known_setting_names(), n=2, cutoff=0.75)
    where = " in .env" if in_dotenv else ""
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    if in_dotenv and not name.startswith(ENV_PREFIX) and not close:
        # .env is read by Chorus alone: a provider's key written there reaches no client.
        hint = (
            "; .env holds only CHORUS_ settings and DISCORD_TOKEN (put API keys in the environment)"
        )
    return SettingsError(f"unknown setting {name}{where}{hint} (see .env.example for the list)")


def load_settings(env_file: Path | str | None = ".env", **overrides: Any) -> Settings:
    """Build the settings tree, or raise SettingsError naming the first bad setting."""
    unknown = _unknown_env_names(dict(os.environ))
    if unknown:
        raise _unknown_setting(unknown[0])
    try:
        return Settings(_env_file=env_file, **overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        if err["type"] == "extra_forbidden":  # a name in .env that matches no setting
            raise _unknown_setting(_dotenv_name(err["loc"]), in_dotenv=True) from None
        value = err.get("input")
        # A check's own sentence, without pydantic's "Value error, " in front of it.
        cause = err.get("ctx", {}).get("error")
        msg = str(cause) if isinstance(cause, ValueError) else err["msg"]
        said = isinstance(value, dict) or "(got " in msg  # the check shows the value
        shown = "" if said else f" (got {value!r})"
        raise SettingsError(f"bad setting {_env_name(err['loc'])}: {msg}{shown}") from None


def prepare_data_dir(path: Path) -> bool:
    """Make sure the data dir is a folder Chorus can write; True when it was created now.

    SettingsError, one line naming CHORUS_DATA_DIR, when it is a file or cannot be
    created or written (rather than a traceback from the first database that opens it).
    """
    where = f"CHORUS_DATA_DIR ({path})"
    if path.exists() and not path.is_dir():
        raise SettingsError(f"{where} is a file; it must be a folder (new or existing)")
    created = not path.exists()
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise SettingsError(
            f"{where} cannot be used: {exc.strerror or type(exc).__name__}"
        ) from None
    return created
