from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from bot.discord_permissions import role_ids
from bot.settings import Settings, SettingsError, known_setting_names, load_settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    import os

    for key in list(os.environ):
        if key.startswith("CHORUS_") or key == "DISCORD_TOKEN":
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def all_env_names() -> set[str]:
    names = set()
    for name, field in Settings.model_fields.items():
        if name == "discord_token":
            names.add("DISCORD_TOKEN")
        elif isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            names.update(f"CHORUS_{name}__{sub}".upper() for sub in field.annotation.model_fields)
        else:
            names.add(f"CHORUS_{name}".upper())
    return names


def test_env_example_documents_every_setting_and_nothing_else() -> None:
    text = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^([A-Z_]+)=", text, flags=re.MULTILINE))
    assert documented == all_env_names()


def test_env_example_values_are_valid_settings(clean_env: Path) -> None:
    example = (ROOT / ".env.example").read_text()
    (clean_env / ".env").write_text(example)
    assert load_settings() == Settings(_env_file=None)  # the example shows the defaults


def test_nested_and_flat_settings_come_from_env_and_dotenv(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (clean_env / ".env").write_text("CHORUS_LLM=ollama:llama3.1\nDISCORD_TOKEN=secret\n")
    monkeypatch.setenv("CHORUS_RETRIEVAL__TOP_K", "9")
    settings = load_settings()
    assert settings.llm == "ollama:llama3.1"
    assert settings.retrieval.top_k == 9
    assert settings.discord_token.get_secret_value() == "secret"
    assert "secret" not in repr(settings)


_BAD_LIST = "bad setting CHORUS_ALLOWED_URL_NETWORKS:"
_BAD_SIGNALS = "bad setting CHORUS_ANALYSIS__SIGNALS:"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CHORUS_RETRIEVAL__TOP_K", "many", "bad setting CHORUS_RETRIEVAL__TOP_K"),
        ("CHORUS_LIMITS__MAX_SOURCE_BYTES", "-1", "bad setting CHORUS_LIMITS__MAX_SOURCE_BYTES"),
        # Level and size list the accepted forms (once pydantic's raw regex).
        (
            "CHORUS_LOG_LEVEL",
            "loud",
            "bad setting CHORUS_LOG_LEVEL: must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL "
            "(got 'loud')",
        ),
        *[
            (
                "CHORUS_LIMITS__ANALYSIS_MEMORY",
                bad,
                "bad setting CHORUS_LIMITS__ANALYSIS_MEMORY: must be a number and a unit KB, MB, "
                f"GB, TB or KiB, MiB, GiB, TiB (e.g. 512MB, 2GiB) (got {bad!r})",
            )
            for bad in ("512", "lots")
        ],
        ("CHORUS_SHARED_DEMO", "perhaps", "bad setting CHORUS_SHARED_DEMO"),
        ("CHORUS_LMM", "x", "unknown setting CHORUS_LMM"),
        ("CHORUS_RETRIEVAL__TOPK", "3", "unknown setting CHORUS_RETRIEVAL__TOPK"),
        # List settings: bad JSON, an unknown signal, none at all.
        ("CHORUS_ALLOWED_URL_NETWORKS", "[]x", f"{_BAD_LIST} not a list"),
        ("CHORUS_ANALYSIS__SIGNALS", '["imag"]', f"{_BAD_SIGNALS} unknown signal 'imag'"),
        ("CHORUS_ANALYSIS__SIGNALS", "", f"{_BAD_SIGNALS} no signals"),
        # The analysis settings are checked by the analysis' own model, as its flags are.
        (
            "CHORUS_ANALYSIS__MIN_ACCOUNTS",
            "1",
            "bad setting CHORUS_ANALYSIS__MIN_ACCOUNTS: min-accounts must be at least 2 (got 1)",
        ),
        # A window, in .env or the environment, is checked as --window is.
        *[
            (
                "CHORUS_ANALYSIS__WINDOW_S",
                bad,
                "bad setting CHORUS_ANALYSIS__WINDOW_S: window must be seconds above 0, at most "
                f"2592000 (30 days), or 'auto' (got {bad!r})",
            )
            for bad in ("-5", "nan", "inf", "0")
        ],
        (
            "CHORUS_ANALYSIS__POPULAR_SHARE",
            "nan",
            "bad setting CHORUS_ANALYSIS__POPULAR_SHARE: popular-share must be above 0 and at "
            "most 1 (got nan)",
        ),
        ("CHORUS_ANALYSIS__WEIGHTING", "most", "bad setting CHORUS_ANALYSIS__WEIGHTING: unknown"),
        # Checked with the other settings (once only when the store opened, exiting 1).
        *[
            (
                "CHORUS_CHROMA_URL",
                url,
                "bad setting CHORUS_CHROMA_URL: must be an http(s) URL, e.g. "
                f"http://127.0.0.1:8000, or empty for the embedded store (got {url!r})",
            )
            for url in ("localhost:8000", "ftp://host", "http://")
        ],
    ],
)
def test_a_bad_setting_is_one_line_naming_it(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_an_unknown_name_in_dotenv_is_named(clean_env: Path) -> None:
    (clean_env / ".env").write_text("CHORUS_RETRIEVAL__TOP_KK=3\n")
    with pytest.raises(
        SettingsError, match=r"TOP_KK in \.env; did you mean CHORUS_RETRIEVAL__TOP_K"
    ):
        load_settings()


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("CHORUS_RETRIEVAL__TOPK", "CHORUS_RETRIEVAL__TOP_K"),
        ("CHORUS_DATADIR", "CHORUS_DATA_DIR"),
        ("CHORUS_LIMITS__MAX_SOURCE_BYTE", "CHORUS_LIMITS__MAX_SOURCE_BYTES"),
    ],
)
def test_a_mistyped_setting_names_the_real_one(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, typo: str, meant: str
) -> None:
    monkeypatch.setenv(typo, "1")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert f"did you mean {meant}" in str(err.value)
    assert meant in known_setting_names()  # the hint names a setting that exists


def test_a_name_like_no_setting_gets_no_guess(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHORUS_ZZZ", "1")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert "did you mean" not in str(err.value)


@pytest.mark.parametrize("value", ["123, 456", '["123", "456"]', "[123, 456]"])
def test_moderator_role_is_ids_comma_separated_or_json(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    # The README promises `a,b` or a JSON list for list settings; the role ids are one.
    monkeypatch.setenv("CHORUS_MODERATOR_ROLE", value)
    assert role_ids(load_settings().moderator_role) == {123, 456}


@pytest.mark.parametrize("value", ["Fact Checkers", "123,Moderators", '["123", "mods"]'])
def test_a_role_name_is_refused_saying_where_the_id_is(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("CHORUS_MODERATOR_ROLE", value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    message = str(err.value)
    assert message.startswith("bad setting CHORUS_MODERATOR_ROLE: takes role ids (numbers)")
    assert "Copy Role ID" in message
    assert "pattern" not in message  # not pydantic's regex


@pytest.mark.parametrize(("value", "level"), [("info", "INFO"), (" Debug ", "DEBUG")])
def test_log_level_is_read_in_any_case(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, value: str, level: str
) -> None:
    monkeypatch.setenv("CHORUS_LOG_LEVEL", value)
    assert load_settings().log_level == level


@pytest.mark.parametrize(
    ("value", "memory"), [("512mb", "512MB"), ("2 gib", "2GiB"), ("1.5GB", "1.5GB")]
)
def test_analysis_memory_units_are_read_in_any_case(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, value: str, memory: str
) -> None:
    # Kept in the spelling DuckDB's SET memory_limit documents.
    monkeypatch.setenv("CHORUS_LIMITS__ANALYSIS_MEMORY", value)
    assert load_settings().limits.analysis_memory == memory


@pytest.mark.parametrize(
    ("name", "value", "field", "expected"),
    [
        ("CHORUS_ALLOWED_URL_NETWORKS", "127.0.0.1/32", "allowed_url_networks", ("127.0.0.1/32",)),
        (
            "CHORUS_ALLOWED_URL_NETWORKS",
            "127.0.0.1/32, 10.0.0.0/8",
            "allowed_url_networks",
            ("127.0.0.1/32", "10.0.0.0/8"),
        ),
        (
            "CHORUS_ALLOWED_URL_NETWORKS",
            '["127.0.0.1/32"]',
            "allowed_url_networks",
            ("127.0.0.1/32",),
        ),
        ("CHORUS_ANALYSIS__SIGNALS", "text,image", "signals", ("text", "image")),
    ],
)
def test_a_list_setting_is_json_or_comma_separated(
    clean_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    value: str,
    field: str,
    expected: tuple[str, ...],
) -> None:
    # Written as people write it, a list setting crashed with a pydantic traceback.
    monkeypatch.setenv(name, value)
    settings = load_settings()
    got = settings.analysis.signals if field == "signals" else settings.allowed_url_networks
    assert got == expected


def test_a_list_setting_in_dotenv_may_be_comma_separated(clean_env: Path) -> None:
    (clean_env / ".env").write_text("CHORUS_ALLOWED_URL_NETWORKS=127.0.0.1/32,::1/128\n")
    assert load_settings().allowed_url_networks == ("127.0.0.1/32", "::1/128")


def test_analysis_settings_and_flags_are_one_model(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every analysis parameter has its default and its check once: a setting gives the
    default a run starts from, and a run's parameters are exactly that model's fields."""
    from patterns.params import AnalysisParams

    assert AnalysisParams.from_config(load_settings().analysis) == AnalysisParams()
    monkeypatch.setenv("CHORUS_ANALYSIS__WINDOW_S", "auto")
    monkeypatch.setenv("CHORUS_ANALYSIS__POPULAR_MIN_ACCOUNTS", "25")
    config = load_settings().analysis
    params = AnalysisParams.from_config(config)
    assert (params.window_s, params.popular_min_accounts) == ("auto", 25)
    assert set(params.to_json()) == set(AnalysisParams.model_fields)
    assert set(AnalysisParams.model_fields) < set(type(config).model_fields)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        # Named as written, not with a CHORUS_ added: the user searches .env for that name.
        ("DISCORD_TOKN=abc", "unknown setting DISCORD_TOKN in .env; did you mean DISCORD_TOKEN?"),
        ("CHORUS_LLMM=x", "unknown setting CHORUS_LLMM in .env; did you mean CHORUS_LLM?"),
        (
            "OPENAI_API_KEY=sk",
            "unknown setting OPENAI_API_KEY in .env; .env holds only CHORUS_ settings and "
            "DISCORD_TOKEN (put API keys in the environment)",
        ),
    ],
)
def test_an_unknown_dotenv_name_is_named_as_written(
    clean_env: Path, line: str, message: str
) -> None:
    (clean_env / ".env").write_text(line + "\n")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert str(err.value).startswith(message)


def test_a_chroma_url_is_kept_without_its_spaces(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHORUS_CHROMA_URL", " http://127.0.0.1:8000 ")
    assert load_settings().chroma_url == "http://127.0.0.1:8000"
