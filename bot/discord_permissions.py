"""Who is asking, from where, and whether they may moderate: Discord objects to a Requester.

Scopes: a server owns "guild:<id>", a DM user owns "dm:<id>". Moderating (adding or removing
sources and datasets) needs a server: Manage Server (Administrator implies it), or the role
named by CHORUS_MODERATOR_ROLE. This is decided at run time from the interaction itself, never
from `default_permissions`, which a server admin can change; the Assistant checks again.
"""

from __future__ import annotations

import discord

from bot.assistant import Requester

DM_MODERATION = (
    "Adding or removing sources and datasets needs a server. In a DM you can ask, check, "
    "and list the sources you can read (the shared demo)."
)


def scope_for(guild_id: int | None, user_id: int) -> str:
    return f"guild:{guild_id}" if guild_id is not None else f"dm:{user_id}"


def user_label(user: discord.abc.User) -> str:
    """What the catalog records as "added by": stable id first, the name for people to read."""
    return f"discord:{user.id} ({user.name})"


def moderator_rule(moderator_role: str) -> str:
    role = " or the moderator role" if role_ids(moderator_role) else ""
    return f"Manage Server permission{role}"


def role_ids(moderator_role: str) -> frozenset[int]:
    """The role ids in CHORUS_MODERATOR_ROLE (comma-separated; one per server)."""
    return frozenset(int(p) for p in moderator_role.replace(" ", "").split(",") if p.isdigit())


def has_moderator_role(user: discord.abc.User, moderator_role: str) -> bool:
    """Whether a member holds a configured moderator role, by id only: anyone with Manage
    Roles can create a role with any name, but not one with a given id."""
    wanted = role_ids(moderator_role)
    if not wanted or not isinstance(user, discord.Member):
        return False
    return any(role.id in wanted for role in user.roles)


def is_moderator(
    user: discord.abc.User,
    guild_id: int | None,
    permissions: discord.Permissions,
    moderator_role: str,
) -> bool:
    """Manage Server, Administrator or the moderator role, in a server; never in a DM."""
    if guild_id is None or not isinstance(user, discord.Member):
        return False
    if permissions.manage_guild or permissions.administrator:
        return True
    return has_moderator_role(user, moderator_role)


def requester_for_interaction(interaction: discord.Interaction, moderator_role: str) -> Requester:
    user = interaction.user
    return Requester(
        scope=scope_for(interaction.guild_id, user.id),
        user=user_label(user),
        can_moderate=is_moderator(
            user, interaction.guild_id, interaction.permissions, moderator_role
        ),
    )


def requester_for_message(message: discord.Message) -> Requester:
    """Messages only ask questions, so no moderation right is worked out for them."""
    guild_id = message.guild.id if message.guild is not None else None
    return Requester(scope=scope_for(guild_id, message.author.id), user=user_label(message.author))
