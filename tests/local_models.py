"""A local model server speaking the OpenAI chat-completions API and Ollama's /api/chat, with
scripted replies, for driving the real langchain-openai and langchain-ollama clients.

Unless a test scripts the next replies, the server answers like a well-behaved model: it
quotes the first sentence of the first source it was given and cites it, or, asked to check
a claim, returns a JSON verdict citing the first evidence passage.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from retrieval.sentences import split_sentences
from tests.local_server import ServerThread, json_response

_SOURCE = re.compile(r'<source n="(\d+)"[^>]*>\n(.*?)\n</source>', re.DOTALL)


@dataclass
class Reply:
    """One scripted reply: text, or an HTTP error, after an optional delay or hold."""

    text: str = ""
    status: int = 200
    delay_s: float = 0.0
    hold: threading.Event | None = None  # the reply waits until a test sets it


@dataclass
class ModelCall:
    api: str  # "openai" or "ollama"
    body: dict[str, Any]

    def _messages(self, role: str) -> str:
        return "\n".join(
            str(m.get("content", "")) for m in self.body.get("messages", []) if m["role"] == role
        )

    @property
    def system(self) -> str:
        return self._messages("system")

    @property
    def user(self) -> str:
        return self._messages("user")

    def sources(self) -> dict[int, str]:
        return {int(n): text for n, text in _SOURCE.findall(self.user)}


def sentences(text: str) -> list[str]:
    """The sources' sentences as the product splits them (one splitter: issue 14)."""
    return [s.text for s in split_sentences(text)]


def cite_sources(call: ModelCall, *, max_chars: int = 0) -> str:
    """Sentences copied from the sources, each citing where it came from: the first one
    only, or (max_chars > 0) as many as fit in max_chars."""
    cited: list[str] = []
    size = 0
    for n, text in sorted(call.sources().items()):
        for sentence in sentences(text):
            if not sentence.endswith((".", "!", "?")) or len(sentence.split()) < 4:
                continue
            line = f"{sentence} [{n}]"
            cited.append(line)
            size += len(line) + 1
            if not max_chars or size >= max_chars:
                return " ".join(cited)
    return " ".join(cited)


def well_behaved(call: ModelCall) -> Reply:
    if "check claims" in call.system:  # prompts/claim_check.py's system prompt
        first = cite_sources(call)
        return Reply(json.dumps({"verdict": "supported", "explanation": first}))
    return Reply(cite_sources(call))


@dataclass
class LocalModel:
    """The server; `script` is consumed first, then `behaviour` answers."""

    behaviour: Callable[[ModelCall], Reply] = well_behaved
    script: list[Reply] = field(default_factory=list)
    calls: list[ModelCall] = field(default_factory=list)
    server: ServerThread | None = None

    def start(self) -> LocalModel:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._openai)
        app.router.add_post("/api/chat", self._ollama)
        self.server = ServerThread(app).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    @property
    def openai_url(self) -> str:
        assert self.server is not None
        return f"{self.server.url}/v1"

    @property
    def ollama_url(self) -> str:
        assert self.server is not None
        return self.server.url

    def _next(self, call: ModelCall) -> Reply:
        assert self.server is not None
        with self.server.lock:
            self.calls.append(call)
            if self.script:
                return self.script.pop(0)
        return self.behaviour(call)

    async def _reply(self, api: str, request: web.Request) -> Reply:
        reply = self._next(ModelCall(api, await request.json()))
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)
        if reply.hold is not None:  # a threading.Event: the test sets it from its thread
            await asyncio.get_running_loop().run_in_executor(None, reply.hold.wait, 60)
        return reply

    async def _openai(self, request: web.Request) -> web.StreamResponse:
        reply = await self._reply("openai", request)
        if reply.status != 200:
            error = {"message": "scripted failure", "type": "server_error", "code": None}
            return json_response({"error": error}, status=reply.status)
        return json_response(
            {
                "id": "chatcmpl-local",
                "object": "chat.completion",
                "created": 1_700_000_000,
                "model": "local",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": reply.text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        )

    async def _ollama(self, request: web.Request) -> web.StreamResponse:
        reply = await self._reply("ollama", request)
        if reply.status != 200:
            return json_response({"error": "scripted failure"}, status=reply.status)
        stamp = "2024-01-01T00:00:00Z"
        parts = [
            {
                "model": "local",
                "created_at": stamp,
                "message": {"role": "assistant", "content": reply.text},
                "done": False,
            },
            {
                "model": "local",
                "created_at": stamp,
                "message": {"role": "assistant", "content": ""},
                "done": True,
                "done_reason": "stop",
            },
        ]
        body = "".join(json.dumps(p) + "\n" for p in parts).encode()
        return web.Response(body=body, headers={"Content-Type": "application/x-ndjson"})
