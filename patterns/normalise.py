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


def _parse_ranges(spec: str) -> list[tuple[int, int]]:
    """'21-23 5f' -> [(0x21, 0x23), (0x5f, 0x5f)]."""
    out = []
    for part in spec.split():
        a, _, b = part.partition("-")
        out.append((int(a, 16), int(b or a, 16)))
    return out


# Punctuation (Unicode 14 general categories P*, as Python 3.11's unicodedata has them;
# tests check it), written out so that Python and DuckDB use the very same characters and
# import does not scan 1.1M code points. "chorus" treats it as space: "Vote now!" and
# "vote, now" are the same text. Symbols (emoji, $, +) are kept.
_PUNCTUATION = _parse_ranges(
    """
    21-23 25-2a 2c-2f 3a-3b 3f-40 5b-5d 5f 7b 7d a1 a7 ab b6-b7 bb bf 37e 387 55a-55f 589-58a
    5be 5c0 5c3 5c6 5f3-5f4 609-60a 60c-60d 61b 61d-61f 66a-66d 6d4 700-70d 7f7-7f9 830-83e 85e
    964-965 970 9fd a76 af0 c77 c84 df4 e4f e5a-e5b f04-f12 f14 f3a-f3d f85 fd0-fd4 fd9-fda
    104a-104f 10fb 1360-1368 1400 166e 169b-169c 16eb-16ed 1735-1736 17d4-17d6 17d8-17da
    1800-180a 1944-1945 1a1e-1a1f 1aa0-1aa6 1aa8-1aad 1b5a-1b60 1b7d-1b7e 1bfc-1bff 1c3b-1c3f
    1c7e-1c7f 1cc0-1cc7 1cd3 2010-2027 2030-2043 2045-2051 2053-205e 207d-207e 208d-208e
    2308-230b 2329-232a 2768-2775 27c5-27c6 27e6-27ef 2983-2998 29d8-29db 29fc-29fd 2cf9-2cfc
    2cfe-2cff 2d70 2e00-2e2e 2e30-2e4f 2e52-2e5d 3001-3003 3008-3011 3014-301f 3030 303d 30a0
    30fb a4fe-a4ff a60d-a60f a673 a67e a6f2-a6f7 a874-a877 a8ce-a8cf a8f8-a8fa a8fc a92e-a92f
    a95f a9c1-a9cd a9de-a9df aa5c-aa5f aade-aadf aaf0-aaf1 abeb fd3e-fd3f fe10-fe19 fe30-fe52
    fe54-fe61 fe63 fe68 fe6a-fe6b ff01-ff03 ff05-ff0a ff0c-ff0f ff1a-ff1b ff1f-ff20 ff3b-ff3d
    ff3f ff5b ff5d ff5f-ff65 10100-10102 1039f 103d0 1056f 10857 1091f 1093f 10a50-10a58 10a7f
    10af0-10af6 10b39-10b3f 10b99-10b9c 10ead 10f55-10f59 10f86-10f89 11047-1104d 110bb-110bc
    110be-110c1 11140-11143 11174-11175 111c5-111c8 111cd 111db 111dd-111df 11238-1123d 112a9
    1144b-1144f 1145a-1145b 1145d 114c6 115c1-115d7 11641-11643 11660-1166c 116b9 1173c-1173e
    1183b 11944-11946 119e2 11a3f-11a46 11a9a-11a9c 11a9e-11aa2 11c41-11c45 11c70-11c71
    11ef7-11ef8 11fff 12470-12474 12ff1-12ff2 16a6e-16a6f 16af5 16b37-16b3b 16b44 16e97-16e9a
    16fe2 1bc9f 1da87-1da8b 1e95e-1e95f
    """
)


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
# What "chorus" turns into one space at its last step: whitespace and punctuation.
_GAP_PY = _py_class(_CHORUS_SPACE + _PUNCTUATION)
_GAP_SQL = _re2_class(_CHORUS_SPACE + _PUNCTUATION)
_GAP_NOT_SPACE_SQL = _re2_class(_without_space(_CHORUS_SPACE + _PUNCTUATION))
_TS_NOT_SPACE_SQL = _re2_class(_without_space(_PY_SPACE))

_URL_OR_MENTION_PY = re.compile(f"(?:https?://|www\\.)[^{_CS_PY}]+|@[a-z0-9_]+")
_RT_PY = re.compile(f"^[{_CS_PY}]*rt(?:[{_CS_PY}]*:|[{_CS_PY}])")
_GAPS_PY = re.compile(f"[{_GAP_PY}]+")
_TK_MENTION_PY = re.compile(f"@[^{_TS_PY}]*")
_TK_SPACES_PY = re.compile(f"[{_TS_PY}]+")


def text_match_key(text: str | None, mode: TextMode = "chorus") -> str:
    """The text that identical-text matching compares; "" means "no text to compare".

    chorus: lowercase; URLs (http://, https://, www.) and @mentions removed (one
    left-to-right pass); a leading
    retweet marker "RT" or "RT:" removed; every run of whitespace (zero-width characters
    included) and punctuation (Unicode P*) becomes one space; trimmed.
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
    return _GAPS_PY.sub(" ", out).strip(" ")


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
    runs = f"[{_GAP_SQL}]{{2,}}|[{_GAP_NOT_SPACE_SQL}]"
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

    chorus: a scheme is assumed when the text looks like a host and path, and http:// is
    read as https:// (one page: "discord.gg/x", "http://discord.gg/x" and
    "https://discord.gg/x" are one link); scheme and host lowercased; user info dropped;
    default ports (:80, :443) dropped; fragment dropped; a trailing slash dropped (so
    "x.com/a/" = "x.com/a" and "x.com/" = "x.com");
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
        m = _URL_PARTS.match("https://" + url)
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
    scheme = "https" if scheme == "http" else scheme
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
