"""A local Discord for the real `chorus bot` process: REST under /api/v10, a gateway websocket,
and a CDN for attachments, on 127.0.0.1. It records every request and gateway frame it
receives, so tests assert on what Discord would have received.

It speaks the protocol as discord.py 2.x uses it: HELLO, IDENTIFY -> READY and GUILD_CREATE,
heartbeats, RECONNECT -> RESUME -> replay -> RESUMED; JSON with Content-Type exactly
`application/json`; the interaction callback answers 200 with a JSON body; messages over
Discord's limits are refused with 400 as Discord refuses them; a scripted 429 carries `Via`
and `retry_after` as Discord's do.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.discord.discord_harness import MessageView, message_payload, user_payload
from tests.local_server import ServerThread, json_response, wait_until

APP_ID = 930000000000000001
BOT_ID = 930000000000000002
HEARTBEAT_MS = 41_250

_ids = itertools.count(940000000000000000)


def snowflake() -> int:
    return next(_ids)


BOT_USER = user_payload(BOT_ID, "Chorus", bot=True)


_KINDS = (  # (methods, path below /api/v10, kind)
    ({"POST"}, r"/interactions/\d+/[^/]+/callback", "callback"),
    ({"PATCH"}, r"/webhooks/\d+/[^/]+/messages/@original", "edit"),
    ({"DELETE"}, r"/webhooks/\d+/[^/]+/messages/@original", "delete"),
    ({"GET"}, r"/webhooks/\d+/[^/]+/messages/@original", "get"),
    ({"PATCH"}, r"/webhooks/\d+/[^/]+/messages/\d+", "edit-followup"),
    ({"POST"}, r"/webhooks/\d+/[^/]+", "followup"),
    ({"POST"}, r"/channels/\d+/messages", "channel-message"),
    ({"PUT"}, r"/applications/\d+(/guilds/\d+)?/commands", "sync"),
)


@dataclass
class Received(MessageView):
    """One REST request the fake received."""

    method: str
    path: str  # below /api/v10
    query: dict[str, str]
    headers: dict[str, str]
    body: Any  # the JSON body (a list for command sync), or a multipart request's payload_json
    files: dict[str, bytes]  # multipart uploads by filename
    at: float = field(default_factory=time.monotonic)
    status: int = 200
    error: str = ""

    @property
    def kind(self) -> str:
        """What the request is, by the route discord.py sends it to."""
        for methods, pattern, kind in _KINDS:
            if self.method in methods and re.fullmatch(pattern, self.path):
                return kind
        return "other"

    @property
    def token(self) -> str:
        """The interaction token in a callback or webhook path ("" elsewhere)."""
        parts = self.path.split("/")
        return parts[3] if parts[1] in ("interactions", "webhooks") else ""


def limit_errors(message: dict[str, Any]) -> list[str]:
    """What Discord would refuse in a message body (its documented limits)."""
    errors = []
    content = message.get("content") or ""
    if len(content) > 2000:
        errors.append(f"content is {len(content)} characters (limit 2000)")
    embeds = message.get("embeds") or []
    if len(embeds) > 10:
        errors.append(f"{len(embeds)} embeds (limit 10)")
    total = 0
    for i, e in enumerate(embeds):
        sizes = {
            "title": (len(e.get("title") or ""), 256),
            "description": (len(e.get("description") or ""), 4096),
            "footer": (len((e.get("footer") or {}).get("text") or ""), 2048),
        }
        fields = e.get("fields") or []
        if len(fields) > 25:
            errors.append(f"embed {i}: {len(fields)} fields (limit 25)")
        for f in fields:
            if len(f["name"]) > 256 or len(f["value"]) > 1024 or not f["value"].strip():
                errors.append(f"embed {i}: field {f['name'][:20]!r} over its limits or empty")
            total += len(f["name"]) + len(f["value"])
        for what, (size, limit) in sizes.items():
            if size > limit:
                errors.append(f"embed {i}: {what} is {size} characters (limit {limit})")
            total += size
    if total > 6000:
        errors.append(f"embeds total {total} characters (limit 6000)")
    return errors


@dataclass
class Failure:
    """A scripted error answer for the next request matching method and path pattern."""

    method: str
    path: str  # a regular expression, matched against the path below /api/v10
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


async def _read_body(request: web.Request) -> tuple[dict[str, Any], dict[str, bytes]]:
    """(the JSON body or a multipart request's payload_json, its uploads by filename)."""
    body: dict[str, Any] = {}
    files: dict[str, bytes] = {}
    if request.content_type.startswith("multipart/"):
        async for part in await request.multipart():
            if not isinstance(part, aiohttp.BodyPartReader):
                continue
            raw = await part.read()
            if part.name == "payload_json":
                body = json.loads(raw)
            elif part.filename:
                files[part.filename] = bytes(raw)
    elif request.can_read_body:
        body = await request.json()
    return body, files


def _tokenless(r: Received) -> bool:
    return r.path.startswith(("/webhooks/", "/interactions/"))


class LocalDiscord:
    def __init__(self, token: str = "local-bot-token") -> None:
        self.token = token
        self.received: list[Received] = []
        self.frames: list[dict[str, Any]] = []  # gateway frames the bot sent
        self.downloads: list[str] = []
        self.failures: list[Failure] = []
        self.guilds: dict[int, dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}
        self.messages: dict[int, dict[str, Any]] = {}
        self.session_id = "local-session"
        self._events: list[dict[str, Any]] = []  # every dispatch, for RESUME replay
        self._ws: web.WebSocketResponse | None = None
        self.connections = 0
        self._acks: set[asyncio.Task[None]] = set()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/cdn/{name}", self._cdn)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self.server = ServerThread(app)

    # -- life -------------------------------------------------------------------------
    def start(self) -> LocalDiscord:
        self.server.start()
        return self

    def stop(self) -> None:
        if self._ws is not None:
            self.server.run(self._ws.close())
        self.server.stop()

    @property
    def api_base(self) -> str:
        return f"{self.server.url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.server.port}/gateway"

    # -- what the tests set up --------------------------------------------------------
    def add_guild(self, guild_id: int, roles: dict[str, int] | None = None) -> int:
        """A server the bot is in, with one text channel; announced at READY."""
        channel_id = snowflake()
        role_list: list[dict[str, Any]] = [{"id": str(guild_id), "name": "@everyone"}] + [
            {"id": str(rid), "name": name} for name, rid in (roles or {}).items()
        ]
        for r in role_list:
            r.update(permissions="0", position=0, color=0, hoist=False, managed=False)
            r["mentionable"] = False
        self.guilds[guild_id] = {
            "id": str(guild_id),
            "name": f"Server {guild_id}",
            "unavailable": False,
            "roles": role_list,
            "channels": [{"id": str(channel_id), "type": 0, "name": "general", "position": 0}],
            "members": [],
            "member_count": 2,
            "features": [],
            "emojis": [],
            "stickers": [],
            "threads": [],
            "joined_at": "2024-01-01T00:00:00+00:00",
            "large": False,
        }
        return guild_id

    def channel_of(self, guild_id: int) -> int:
        return int(self.guilds[guild_id]["channels"][0]["id"])

    def attachment(self, filename: str, data: bytes) -> dict[str, Any]:
        """An attachment served by this fake's CDN, on loopback."""
        attachment_id = snowflake()
        name = f"{attachment_id}-{filename}"
        self.files[name] = data
        url = f"{self.server.url}/cdn/{name}"
        return {
            "id": str(attachment_id),
            "filename": filename,
            "size": len(data),
            "url": url,
            "proxy_url": url,
        }

    def fail_next(
        self,
        method: str,
        path: str,
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        with self.server.lock:
            self.failures.append(Failure(method, path, status, body, headers or {}))

    # -- gateway, from the test's side ------------------------------------------------
    def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a DISPATCH now, or at RESUME when the bot is disconnected."""
        self.server.run(self._dispatch(event, data))

    async def _dispatch(self, event: str, data: dict[str, Any]) -> None:
        frame = {"op": 0, "t": event, "s": len(self._events) + 1, "d": data}
        self._events.append(frame)
        ws = self._ws
        if ws is not None and not ws.closed:
            await ws.send_str(json.dumps(frame))

    @property
    def connected(self) -> bool:
        ws = self._ws
        return ws is not None and not ws.closed

    def request_reconnect(self, missed: Sequence[tuple[str, dict[str, Any]]] = ()) -> None:
        """Opcode 7: Discord asks the client to reconnect and resume. `missed` events are
        queued for the session but not sent on this socket: they come with the RESUME replay."""
        self.server.run(self._reconnect(list(missed)))

    async def _reconnect(self, missed: list[tuple[str, dict[str, Any]]]) -> None:
        ws = self._ws
        assert ws is not None
        self._ws = None  # from here on, dispatches wait for the next socket
        await ws.send_str(json.dumps({"op": 7, "d": None}))
        for event, data in missed:
            self._events.append({"op": 0, "t": event, "s": len(self._events) + 1, "d": data})

    def gateway_ops(self, op: int) -> list[dict[str, Any]]:
        with self.server.lock:
            return [f for f in self.frames if f.get("op") == op]

    # -- interactions -----------------------------------------------------------------
    def member(self, user_id: int, *, perms: int = 0, roles: list[int] | None = None) -> Any:
        return {
            "user": user_payload(user_id),
            "roles": [str(r) for r in roles or []],
            "joined_at": "2024-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "permissions": str(perms),
        }

    def interaction(
        self,
        kind: int,
        data: dict[str, Any],
        *,
        guild: int,
        user_id: int = 1001,
        perms: int = 0,
        send: bool = True,
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE from a server member, dispatched unless send=False."""
        interaction_id = snowflake()
        channel_id = self.channel_of(guild)
        payload = {
            "id": str(interaction_id),
            "application_id": str(APP_ID),
            "type": kind,
            "token": f"itoken-{interaction_id}",
            "version": 1,
            "data": data,
            "guild_id": str(guild),
            "channel_id": str(channel_id),
            "channel": {
                "id": str(channel_id),
                "type": 0,
                "guild_id": str(guild),
                "name": "general",
                "position": 0,
            },
            "member": self.member(user_id, perms=perms),
            "locale": "en-US",
            "guild_locale": "en-US",
            "app_permissions": "0",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild)},
            "context": 0,
            "attachment_size_limit": 10_000_000,
        }
        if send:
            self.dispatch("INTERACTION_CREATE", payload)
        return payload

    def slash(
        self,
        name: str,
        options: list[dict[str, Any]] | None = None,
        *,
        guild: int,
        resolved: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """A slash command; `name` may be "group sub". Options as Discord sends them."""
        words = name.split()
        data: dict[str, Any] = {"id": str(snowflake()), "type": 1, "name": words[0]}
        if len(words) == 2:
            data["options"] = [{"type": 1, "name": words[1], "options": options or []}]
        else:
            data["options"] = options or []
        if resolved:
            data["resolved"] = resolved
        return self.interaction(2, data, guild=guild, **kwargs)

    def message_create(
        self,
        guild: int,
        content: str,
        *,
        author: int = 1001,
        mention_bot: bool = True,
        reply_to: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A member's message in the server's channel (MESSAGE_CREATE)."""
        channel_id = self.channel_of(guild)
        message = self.message_object(channel_id, user_payload(author), content)
        message["guild_id"] = str(guild)
        message["member"] = {k: v for k, v in self.member(author).items() if k != "user"}
        if mention_bot:
            message["mentions"] = [BOT_USER]
        if reply_to is not None:
            message["type"] = 19
            message["message_reference"] = {
                "type": 0,
                "message_id": reply_to["id"],
                "channel_id": str(channel_id),
                "guild_id": str(guild),
            }
            message["referenced_message"] = reply_to
        self.dispatch("MESSAGE_CREATE", message)
        return message

    @staticmethod
    def message_object(channel_id: int, author: dict[str, Any], content: str) -> dict[str, Any]:
        return message_payload(snowflake(), channel_id, author, content)

    # -- what the bot sent ------------------------------------------------------------
    def requests(self, token: str | None = None, kind: str | None = None) -> list[Received]:
        with self.server.lock:
            return [
                r
                for r in self.received
                if (token is None or r.token == token) and (kind is None or r.kind == kind)
            ]

    def wait_for(self, what: str, check: Any, timeout: float = 60) -> list[Received]:
        """Wait until check(all requests so far) returns a non-empty list; return it."""
        return wait_until(lambda: check(self.requests()), timeout, what)

    def replies_to(self, payload: dict[str, Any]) -> list[Received]:
        """What the bot sent for one interaction (callback, edits, follow-ups)."""
        return self.requests(token=payload["token"])

    def wait_final(self, payload: dict[str, Any], text: str, timeout: float = 60) -> list[Received]:
        """Wait until a message for this interaction contains `text`; return all its requests."""

        def done(_: list[Received]) -> list[Received]:
            sent = self.replies_to(payload)
            return sent if any(text in r.text() for r in sent if r.status == 200) else []

        return wait_until(lambda: done([]), timeout, f"a reply containing {text!r}")

    # -- the REST API -----------------------------------------------------------------
    async def _rest(self, request: web.Request) -> web.StreamResponse:
        body, files = await _read_body(request)
        path = "/" + request.match_info["tail"]
        received = Received(
            request.method, path, dict(request.query), dict(request.headers), body, files
        )
        with self.server.lock:
            self.received.append(received)
            failure = next(
                (
                    f
                    for f in self.failures
                    if f.method == request.method and re.search(f.path, path)
                ),
                None,
            )
            if failure is not None:
                self.failures.remove(failure)
        if failure is not None:
            received.status = failure.status
            return json_response(failure.body, failure.status, failure.headers)
        # Webhook and interaction routes need no token; the others need the bot's.
        auth = request.headers.get("Authorization")
        if auth != f"Bot {self.token}" and (auth is not None or not _tokenless(received)):
            received.status = 401
            return json_response({"message": "401: Unauthorized", "code": 0}, 401)
        errors = limit_errors(received.message) if received.message is not None else []
        if errors:
            received.status, received.error = 400, "; ".join(errors)
            return json_response(
                {"message": "Invalid Form Body", "code": 50035, "errors": errors}, 400
            )
        return self._answer(received)

    def _answer(self, r: Received) -> web.StreamResponse:  # noqa: PLR0911 - one per route
        p = r.path
        if p == "/users/@me":
            return json_response(BOT_USER)
        if p == "/oauth2/applications/@me":
            return json_response(
                {
                    "id": str(APP_ID),
                    "name": "Chorus",
                    "description": "",
                    "icon": None,
                    "bot_public": True,
                    "bot_require_code_grant": False,
                    "owner": user_payload(1, "owner"),
                    "verify_key": "0" * 64,
                    "flags": 0,
                    "team": None,
                    "summary": "",
                }
            )
        if r.kind == "sync":
            return json_response(
                [
                    # Discord fills in what the client left out (context menus: "").
                    {
                        "description": "",
                        "options": [],
                        **c,
                        "id": str(snowflake()),
                        "application_id": str(APP_ID),
                        "version": "1",
                    }
                    for c in r.body
                ]
            )
        if r.kind == "callback":
            interaction_id = p.split("/")[2]
            kind = int(r.body.get("type", 0))
            out: dict[str, Any] = {
                "interaction": {
                    "id": interaction_id,
                    "type": 2,
                    "response_message_loading": kind == 5,
                    "response_message_ephemeral": r.ephemeral,
                }
            }
            if kind in (4, 5):
                message = self._store(self._message_from(p, r.body.get("data") or {}))
                out["interaction"]["response_message_id"] = message["id"]
                out["resource"] = {"type": kind, "message": message}
            else:
                out["resource"] = {"type": kind}
            return json_response(out)
        if r.kind in ("followup", "channel-message"):
            return json_response(self._store(self._message_from(p, r.body, files=r.files)))
        if r.kind in ("edit", "edit-followup", "get"):
            return json_response(self._store(self._message_from(p, r.body, files=r.files)))
        if r.method == "DELETE":
            return web.Response(status=204)
        r.status = 404
        return json_response({"message": "404: Not Found", "code": 0}, 404)

    def _message_from(
        self, path: str, body: dict[str, Any], files: dict[str, bytes] | None = None
    ) -> Any:
        channel = re.match(r"/channels/(\d+)/", path)
        channel_id = int(channel.group(1)) if channel else snowflake()
        message = self.message_object(channel_id, BOT_USER, body.get("content") or "")
        message["embeds"] = body.get("embeds") or []
        message["flags"] = int(body.get("flags", 0) or 0)
        message["attachments"] = [
            {
                "id": str(snowflake()),
                "filename": name,
                "size": len(data),
                "url": "",
                "proxy_url": "",
            }
            for name, data in (files or {}).items()
        ]
        if body.get("message_reference"):
            message["message_reference"] = body["message_reference"]
        return message

    def _store(self, message: dict[str, Any]) -> dict[str, Any]:
        with self.server.lock:
            self.messages[int(message["id"])] = message
        return message

    async def _cdn(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        with self.server.lock:
            self.downloads.append(name)
        if name not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[name], content_type="application/octet-stream")

    # -- the gateway ------------------------------------------------------------------
    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self._ws = ws
        self.connections += 1
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_MS}}))
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            with self.server.lock:
                self.frames.append(frame)
            op = frame.get("op")
            if op == 1:
                # Acknowledged a little later, as over a real network: discord.py times a
                # heartbeat from when its sending thread sees the send complete, so an instant
                # ACK is measured against the previous beat and logged as "41 s behind".
                self._acks.add(asyncio.create_task(self._ack(ws)))
            elif op == 2:
                if frame["d"].get("token") != self.token:
                    await ws.close(code=4004, message=b"Authentication failed.")
                    break
                await self._ready()
            elif op == 6:
                await self._resume(ws, frame["d"])
        if self._ws is ws:
            self._ws = None
        return ws

    async def _ack(self, ws: web.WebSocketResponse) -> None:
        await asyncio.sleep(0.2)
        if not ws.closed:
            await ws.send_str(json.dumps({"op": 11}))
        task = asyncio.current_task()
        if task is not None:
            self._acks.discard(task)

    async def _ready(self) -> None:
        guilds = [{"id": gid, "unavailable": True} for gid in self.guilds]
        await self._dispatch(
            "READY",
            {
                "v": 10,
                "user": BOT_USER,
                "guilds": guilds,
                "session_id": self.session_id,
                "resume_gateway_url": self.gateway_url,
                "application": {"id": str(APP_ID), "flags": 0},
                "private_channels": [],
                "relationships": [],
            },
        )
        for guild in self.guilds.values():
            await self._dispatch("GUILD_CREATE", guild)

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        if data.get("token") != self.token or data.get("session_id") != self.session_id:
            await ws.send_str(json.dumps({"op": 9, "d": False}))
            return
        seq = int(data.get("seq") or 0)
        for frame in self._events[seq:]:  # what the bot missed while it was away
            await ws.send_str(json.dumps(frame))
        await self._dispatch("RESUMED", {})
        await asyncio.sleep(0)
