"""Errors carry hints; Discord words them as slash-command options and server permissions,
never as a bare command-line flag, through one translator for commands and chat alike."""

from __future__ import annotations

from typing import Any

from bot.assistant import Assistant
from bot.cli_output import error_text
from bot.discord_errors import DiscordWording, describe_error
from common.errors import ChorusError, Hint, InputError
from tests.discord.discord_harness import MANAGE, add_campaign_dataset, assert_no_mentions

GUILD = 401


def test_each_front_end_words_the_same_hints_in_its_own_terms() -> None:
    error = InputError("try ", Hint.option("min_accounts", "2"), " or a larger window")
    assert error_text(error) == "try --min-accounts 2 or a larger window"
    assert str(error) == "try min_accounts=2 or a larger window"  # logs: no front end's words
    discord = DiscordWording({"title", "name"}, moderator_role="")
    assert error.worded(discord) == (
        "try `--min-accounts 2` (an option of the `chorus` command line) or a larger window"
    )
    title = InputError(Hint.option("title"), " applies to a single file")
    assert title.worded(discord) == "`title:` applies to a single file"
    assert error_text(title) == "--title applies to a single file"
    reindex = ChorusError("run ", Hint.command("sources reindex"))
    assert error_text(reindex) == "run `chorus sources reindex`"
    assert reindex.worded(discord) == (
        "run `chorus sources reindex` (on the command line, where Chorus runs)"
    )
    moderate = ChorusError("only moderators can x (", Hint.permission("moderate"), ")")
    assert moderate.worded(discord) == "only moderators can x (Manage Server permission)"
    with_role = DiscordWording((), moderator_role="5551")
    assert moderate.worded(with_role) == (
        "only moderators can x (Manage Server permission or the moderator role)"
    )
    setting = ChorusError("see ", Hint.setting("CHORUS_ANALYSIS__ENGINE"))
    assert error_text(setting) == "see CHORUS_ANALYSIS__ENGINE"
    assert setting.worded(discord) == "see `CHORUS_ANALYSIS__ENGINE`"


def test_errors_keep_their_hints_across_processes() -> None:
    """Dask workers and pools send errors back pickled: the hints must survive."""
    import pickle

    error = InputError("give ", Hint.option("out"), " a folder")
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is InputError and again.parts == error.parts
    assert error_text(again) == "give --out a folder"


def test_unexpected_errors_get_an_id_and_no_internals() -> None:
    text, error_id = describe_error(RuntimeError("disk on fire"), DiscordWording((), ""))
    assert error_id is not None and f"`{error_id}`" in text and "disk on fire" not in text


async def test_a_dataset_without_an_account_column_is_explained_in_discord_terms(
    assistant: Assistant, make_harness: Any
) -> None:
    h = await make_harness(assistant)
    csv = b"post_id,created_at,text\np1,2020-02-21T18:02:00Z,hello\n"
    run = await h.slash(
        "dataset add",
        guild=GUILD,
        perms=MANAGE,
        attachments={"file": h.attachment("posts.csv", csv)},
    )
    text = run.final.text()
    assert run.final.ephemeral and "has no account_id column" in text
    assert "map one with `--map account_id=COLUMN` (an option of the `chorus` command line)" in text
    assert_no_mentions(run.sent)


async def test_the_bot_knows_its_own_slash_options(assistant: Assistant, make_harness: Any) -> None:
    h = await make_harness(assistant)
    text, _ = h.bot.describe_error(InputError(Hint.option("title"), " is too long"))
    assert text == "`title:` is too long"  # /sources add has a title option
    text, _ = h.bot.describe_error(InputError(Hint.option("min_accounts", "2")))
    assert text.startswith("`--min-accounts 2` (an option of")


async def test_an_empty_analysis_names_the_cluster_size_in_discord_terms(
    make_settings: Any, embeddings: Any, make_harness: Any, tmp_path: Any
) -> None:
    """The advice after an upload that found linked accounts but no cluster that large: the
    option is the command line's, and said to be (there is no such slash option)."""
    assistant = Assistant(make_settings(analysis={"min_accounts": 50}), embeddings=embeddings)
    h = await make_harness(assistant)
    run = await add_campaign_dataset(h, GUILD, tmp_path)
    text = run.final.text()
    assert "0 clusters" in text and "--min-accounts" in text
    assert "(an option of the `chorus` command line) or a larger window" in text
