"""Account pictures, cached on disk so the accounts pane shows them at once on the next start.

TikTok's avatar URLs are signed CDN links that expire within hours, so a picture is fetched
when the account's info is fetched (connect, Refresh info) and kept; a changed URL means a new
fetch. Downloads are capped in size and must say they are images: the UI decodes them with Qt,
which refuses anything that is not a picture.
"""

from __future__ import annotations

import hashlib
import logging
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING

from tiktok_desktop.paths import ensure_private_dir, write_private_atomic

if TYPE_CHECKING:  # httpx loads with the first download, not with the window (issue 16)
    import httpx

log = logging.getLogger(__name__)

__all__ = ["MAX_AVATAR_BYTES", "AvatarCache"]

MAX_AVATAR_BYTES = 5_000_000


class AvatarCache:
    def __init__(self, folder: Path, http: httpx.Client) -> None:
        self.folder = folder
        self._http = http

    def _stem(self, open_id: str) -> Path:
        # open_ids are opaque strings from TikTok: hash them into safe file names.
        return self.folder / hashlib.sha256(open_id.encode("utf-8")).hexdigest()[:32]

    def cached(self, open_id: str) -> Path | None:
        path = self._stem(open_id).with_suffix(".img")
        return path if path.is_file() else None

    def is_current(self, open_id: str, url: str) -> bool:
        """True when the cached picture came from `url` (no download needed)."""
        source = self._stem(open_id).with_suffix(".url")
        try:
            return self.cached(open_id) is not None and source.read_text("utf-8") == url
        except OSError:
            return False

    def fetch(self, open_id: str, url: str) -> Path | None:
        """Download the picture at `url` for this account; None when there is none to show.

        Failures are expected (expired link, offline) and leave any older picture in place.
        """
        if not url or urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            return self.cached(open_id)
        if self.is_current(open_id, url):
            return self.cached(open_id)
        import httpx  # noqa: PLC0415 - see the imports

        try:
            data = self._download(url)
        except (httpx.HTTPError, ValueError) as exc:
            log.info("account picture not downloaded (%s)", type(exc).__name__)
            return self.cached(open_id)
        ensure_private_dir(self.folder)
        path = self._stem(open_id).with_suffix(".img")
        write_private_atomic(path, data)
        write_private_atomic(self._stem(open_id).with_suffix(".url"), url)
        return path

    def forget(self, open_id: str) -> None:
        for suffix in (".img", ".url"):
            self._stem(open_id).with_suffix(suffix).unlink(missing_ok=True)

    def _download(self, url: str) -> bytes:
        import httpx  # noqa: PLC0415 - see the imports

        with self._http.stream("GET", url, timeout=httpx.Timeout(15.0, connect=10.0),
                               headers={"Accept": "image/*"}) as response:
            response.raise_for_status()
            kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if not kind.startswith("image/"):
                raise ValueError(f"not an image: {kind or 'no type'}")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > MAX_AVATAR_BYTES:
                raise ValueError("picture too large")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_AVATAR_BYTES:
                    raise ValueError("picture too large")
                chunks.append(chunk)
        return b"".join(chunks)
