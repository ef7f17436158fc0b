"""Text, URL and hashtag normalisation: the Python reference and the DuckDB SQL that must
agree with it (tests check both on the same inputs). docs/coordination.md states the rules.
"""

from __future__ import annotations

import re

from patterns.params import TextMode

# Whitespace, by code point. "chorus" also treats zero-width characters as space, because
# inserting them is a cheap way to make copies of a message look different.
_PY_SPACE = [
    (0x09, 0x0D),
    (0x1C, 0x20),
    (0x85, 0x85),
    (0xA0, 0xA0),
    (0x1680, 0x1680),
    (0x2000, 0x200A),
    (0x2028, 0x2029),
    (0x202F, 0x202F),
    (0x205F, 0x205F),
    (0x3000, 0x3000),
]
_ZERO_WIDTH = [(0x180E, 0x180E), (0x200B, 0x200D), (0x2060, 0x2060), (0xFEFF, 0xFEFF)]
_CHORUS_SPACE = _PY_SPACE + _ZERO_WIDTH


def _py_class(ranges: list[tuple[int, int]]) -> str:
    return "".join(f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges)


def _re2_class(ranges: list[tuple[int, int]]) -> str:
    return "".join(f"\\x{{{a:x}}}" if a == b else f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in ranges)


def _without_space(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The ranges less the plain space (0x20)."""
    out: list[tuple[int, int]] = []
    for a, b in ranges:
        out.extend(r for r in ((a, min(b, 0x1F)), (max(a, 0x21), b)) if r[0] <= r[1])
    return out


_CS_PY = _py_class(_CHORUS_SPACE)
_TS_PY = _py_class(_PY_SPACE)
_CS_SQL = _re2_class(_CHORUS_SPACE)
_TS_SQL = _re2_class(_PY_SPACE)
_CS_NOT_SPACE_SQL = _re2_class(_without_space(_CHORUS_SPACE))
_TS_NOT_SPACE_SQL = _re2_class(_without_space(_PY_SPACE))

_URL_OR_MENTION_PY = re.compile(f"(?:https?://|www\\.)[^{_CS_PY}]+|@[a-z0-9_]+")
_RT_PY = re.compile(f"^[{_CS_PY}]*rt(?:[{_CS_PY}]*:|[{_CS_PY}])")
_SPACES_PY = re.compile(f"[{_CS_PY}]+")
_TK_MENTION_PY = re.compile(f"@[^{_TS_PY}]*")
_TK_SPACES_PY = re.compile(f"[{_TS_PY}]+")


def text_match_key(text: str | None, mode: TextMode = "chorus") -> str:
    """The text that identical-text matching compares; "" means "no text to compare".

    chorus: lowercase; URLs (http://, https://, www.) and @mentions removed (one
    left-to-right pass); a leading
    retweet marker "RT" or "RT:" removed; every run of whitespace (zero-width characters
    included) becomes one space; trimmed.
    toolkit: coordination-network-toolkit 1.5.2's message_preprocessor: lowercase,
    "@..." up to the next whitespace removed, whitespace collapsed, trimmed.
    """
    if not text:
        return ""
    low = text.lower()
    if mode == "toolkit":
        return _TK_SPACES_PY.sub(" ", _TK_MENTION_PY.sub("", low)).strip(" ")
    out = _URL_OR_MENTION_PY.sub(" ", low)
    out = _RT_PY.sub(" ", out)
    return _SPACES_PY.sub(" ", out).strip(" ")


def text_sql(column: str, mode: TextMode) -> str:
    """DuckDB expression equal to text_match_key(column, mode) ('' for no text).

    Whitespace runs become one space by replacing only the runs that are not one space
    already (two or more characters, or one that is not 0x20): the same result, without a
    replacement at every space of every text (that took half the time on a million posts).
    The column appears once (a "?" parameter binds once).
    """
    low = f"lower(coalesce({column}, ''))"
    if mode == "toolkit":
        out = f"regexp_replace({low}, '@[^{_TS_SQL}]*', '', 'g')"
        runs = f"[{_TS_SQL}]{{2,}}|[{_TS_NOT_SPACE_SQL}]"
        return f"trim(regexp_replace({out}, '{runs}', ' ', 'g'), ' ')"
    # URLs and mentions in one pass (each regexp_replace is a pass over every text).
    out = f"regexp_replace({low}, '(?:https?://|www\\.)[^{_CS_SQL}]+|@[a-z0-9_]+', ' ', 'g')"
    out = f"regexp_replace({out}, '^[{_CS_SQL}]*rt(?:[{_CS_SQL}]*:|[{_CS_SQL}])', ' ')"
    runs = f"[{_CS_SQL}]{{2,}}|[{_CS_NOT_SPACE_SQL}]"
    return f"trim(regexp_replace({out}, '{runs}', ' ', 'g'), ' ')"


# Query parameters that only say where a click came from.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "yclid",
        "twclid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "ref_src",
        "ref_url",
    }
)
DEFAULT_PORTS = {"http": "80", "https": "443"}


_URL_PARTS = re.compile(
    r"^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#.*)?$", re.S
)
_LOOKS_LIKE_HOST = re.compile(r"^(?:www\.|[^\s/?#]+\.[A-Za-z]{2,}(?:[:/?#]|$))", re.I)


def normalise_url(url: str, mode: TextMode = "chorus") -> str:
    """The link that same-URL matching compares ("" for nothing).

    chorus: a scheme is assumed (http://) when the text looks like a host and path; scheme
    and host lowercased; user info dropped; default ports (:80, :443) dropped; fragment
    dropped; a trailing slash dropped (so "x.com/a/" = "x.com/a" and "x.com/" = "x.com");
    utm_* and the click ids in TRACKING_PARAMS removed; the other query parameters sorted
    (kept as written, not re-encoded). Text that is not a link (an anonymised id such as
    "23678") is compared as written.
    toolkit: compared exactly as written.
    """
    url = url.strip()
    if mode == "toolkit" or not url:
        return url
    m = _URL_PARTS.match(url)
    if m is None:
        if not _LOOKS_LIKE_HOST.match(url):
            return url
        m = _URL_PARTS.match("http://" + url)
        if m is None:
            return url
    scheme, netloc, path, query = m.group(1).lower(), m.group(2), m.group(3), m.group(4)
    host = netloc.rpartition("@")[2].lower()
    if host.startswith("["):  # IPv6 literal: [::1]:8080
        end = host.find("]")
        name, port = host[: end + 1], host[end + 2 :] if end >= 0 else ""
    else:
        name, _, port = host.partition(":")
    if port and port != DEFAULT_PORTS.get(scheme):
        name += ":" + port
    path = path.rstrip("/")
    if query:
        kept = sorted(
            p
            for p in query.split("&")
            if p
            and not (k := p.split("=", 1)[0].lower()).startswith("utm_")
            and k not in TRACKING_PARAMS
        )
        query = "&".join(kept)
    return f"{scheme}://{name}{path}" + (f"?{query}" if query else "")


def url_domain(normalised: str) -> str:
    """The host of a normalised link without a leading "www." and port ("" when it is not
    a link)."""
    head, sep, rest = normalised.partition("://")
    if not sep or not head:
        return ""
    host = rest.split("/", 1)[0].split("?", 1)[0]
    if not host.startswith("["):
        host = host.partition(":")[0]
    return host[4:] if host.startswith("www.") else host


def hashtag_set_sql(column: str) -> str:
    """DuckDB expression: the post's distinct hashtags, normalised ("#MAGA" and "maga" are
    the same hashtag), sorted, space-joined."""
    return (
        "array_to_string(list_sort(list_distinct(list_filter(list_transform("
        f"coalesce({column}, []), lambda h: lower(ltrim(trim(h), '#\uff03'))), "
        "lambda h: h <> ''))), ' ')"
    )
