"""`chorus analyze` with image URLs: --no-fetch-images stays offline and says so; a later
run fetches (through the loopback server, allowed by the private-URL setting), finds the
image-only campaign, and `chorus cluster ID --plot` adds the contact sheet."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.cli.conftest import RunCli
from tests.corpus.corpus_support import serve
from tests.patterns.test_images import _picture, _variant


def test_image_urls_offline_then_fetched(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHORUS_ALLOW_PRIVATE_URLS", "true")
    with serve() as server:
        rows = []
        for b in range(2):
            for a in range(3):
                path = f"/c{b}{a}.jpg"
                server.reply(path, _variant(_picture(300 + b), a), content_type="image/jpeg")
                rows.append(
                    {
                        "post_id": f"c{b}{a}",
                        "account_id": f"squad{a}",
                        "created_at": 1_704_067_200 + 900 * b + a,
                        "text": f"own words {b} {a}",
                        "image_urls": server.url(path),
                    }
                )
        posts = tmp_path / "posts.csv"
        with posts.open("w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)

        code, out, _ = run_cli("analyze", str(posts), "--no-fetch-images", "--json")
        assert code == 0
        offline = json.loads(out)
        assert not offline["clusters"] and not server.requests
        code, out, err = run_cli("analyze", str(posts), "--signals", "image", "--json")
        assert code == 0, err
        found = json.loads(out)["clusters"]
        assert [sorted(c["accounts"]) for c in found] == [["squad0", "squad1", "squad2"]]
        assert len(server.requests) == 6

    code, out, err = run_cli("cluster", found[0]["id"], "--plot", str(tmp_path / "c.png"))
    assert code == 0, err
    assert (tmp_path / "c-images.png").is_file()
    assert "Near-identical images" in out and "bits" in out
    code, _, err = run_cli("analyze", str(posts), "--image-distance", "40")
    assert code != 0 and "image-distance must be 0 to 12" in err
