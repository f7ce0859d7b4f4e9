"""Safe PDF rendering with WeasyPrint.

Reports mix the agency's own template with text written by providers and reviewers.
WeasyPrint fetches every URL a document mentions (images, stylesheets, fonts,
`<link rel=attachment>`, `<a rel=attachment>`, SVG references) through a URL fetcher,
so the fetcher is where a report is kept from reading local files or calling the
network. This one refuses everything by default and allows exactly two kinds of URL:

- `data:` URLs (bounded in size), which carry their content inline and touch nothing;
- `mcqa-static:<path>`, the project's own static files under a fixed list of folders
  of `static/` (by default only `reports/`), resolved without symlink or `..` escapes.

`file://`, `http(s)://`, `ftp://`, relative paths and any other scheme raise
`FetchRefused` before anything is opened. Autoescaping already turns user text into
inert text; the fetcher is the second wall in case markup ever slipped through.
"""

import base64
import binascii
import logging
import threading
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, unquote_to_bytes

from django.conf import settings
from weasyprint import CSS, HTML, Attachment
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)
# WeasyPrint logs every rendering step at INFO; a worker only needs its warnings.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
_local = threading.local()

STATIC_SCHEME = "mcqa-static"
STATIC_PREFIXES = ("reports/",)
# The variant every report is written in: PDF/A-3 (archivable, allows the embedded
# report.json), Unicode text mapping ("u") so that text can be extracted and searched.
PDF_VARIANT = "pdf/a-3u"
MAX_DATA_URL_BYTES = 2 * 1024 * 1024
STATIC_CONTENT_TYPES = {
    ".css": "text/css",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
}


class FetchRefused(ValueError):
    """A URL the report renderer must not fetch. WeasyPrint logs it and carries on
    without the resource, so hostile references simply vanish from the PDF."""


def static_url(path):
    """The internal URL of a project static file, e.g. `mcqa-static:reports/report.css`."""
    return f"{STATIC_SCHEME}:{path}"


class SafeURLFetcher(URLFetcher):
    """WeasyPrint's fetcher with its `fetch` replaced by the allow-list above.

    The parent's urllib handlers (http, ftp, file ...) are never reached: `fetch`,
    `open` and `__call__` are overridden and never call up, and no protocol is allowed
    upstream either. One instance per render: it records what it served and refused.
    """

    def __init__(self, *, static_root=None, prefixes=STATIC_PREFIXES):
        super().__init__(timeout=1, allowed_protocols=frozenset(), allow_redirects=False)
        root = Path(static_root) if static_root else Path(settings.BASE_DIR) / "static"
        self.static_root = root.resolve()
        self.prefixes = tuple(p if p.endswith("/") else f"{p}/" for p in prefixes)
        self.served = []
        self.refused = []

    def fetch(self, url, headers=None):
        """Answer `data:` and `mcqa-static:` URLs; refuse everything else.

        Nothing here opens a socket or a path outside the allowed static folders,
        whatever the URL says. Every refusal is recorded (and logged) so a render can
        be audited and tested.
        """
        try:
            if not isinstance(url, str):
                raise FetchRefused("Not a URL.")
            lowered = url[:20].lower()
            if lowered.startswith("data:"):
                response = self._data(url)
            elif lowered.startswith(f"{STATIC_SCHEME}:"):
                response = self._static(url)
            else:
                raise FetchRefused(f"URL refused by the report renderer: {url[:200]!r}")
        except FetchRefused as exc:
            self.refused.append(url)
            logger.warning("PDF fetch refused: %s", exc)
            raise
        self.served.append(url)
        return response

    def open(self, url, data=None, timeout=None):
        full_url = getattr(url, "full_url", url)
        return self.fetch(full_url)

    def __call__(self, url):
        return self.fetch(url)

    def _response(self, url, body, content_type):
        return URLFetcherResponse(url, body=body, headers={"Content-Type": content_type})

    def _data(self, url):
        header, sep, payload = url[5:].partition(",")
        if not sep:
            raise FetchRefused("Malformed data: URL.")
        is_base64 = header.lower().endswith(";base64")
        media_type = header[: -len(";base64")] if is_base64 else header
        media_type = media_type.strip() or "text/plain;charset=US-ASCII"
        if is_base64:
            if len(payload) > MAX_DATA_URL_BYTES * 4 // 3 + 4:
                raise FetchRefused("data: URL too large.")
            try:
                body = base64.b64decode(unquote(payload), validate=False)
            except (binascii.Error, ValueError) as exc:
                raise FetchRefused("Malformed base64 in data: URL.") from exc
        else:
            body = unquote_to_bytes(payload)
        if len(body) > MAX_DATA_URL_BYTES:
            raise FetchRefused("data: URL too large.")
        return self._response(url, body, media_type)

    def _static(self, url):
        raw = url[len(STATIC_SCHEME) + 1 :]
        if any(ch in raw for ch in "?#\\\x00"):
            raise FetchRefused(f"Query, fragment or backslash in static URL: {url[:200]!r}")
        rel = unquote(raw)
        if "\x00" in rel or "\\" in rel:
            raise FetchRefused(f"Invalid static path: {url[:200]!r}")
        path = PurePosixPath(rel)
        if path.is_absolute() or rel.startswith("/") or ".." in path.parts or not path.parts:
            raise FetchRefused(f"Static path escapes its folder: {url[:200]!r}")
        normalised = path.as_posix()
        if not any(normalised.startswith(prefix) for prefix in self.prefixes):
            raise FetchRefused(f"Static path outside the report folders: {url[:200]!r}")
        content_type = STATIC_CONTENT_TYPES.get(path.suffix.lower())
        if content_type is None:
            raise FetchRefused(f"Static file type not allowed: {url[:200]!r}")
        candidate = (self.static_root / normalised).resolve()
        allowed_roots = [(self.static_root / prefix).resolve() for prefix in self.prefixes]
        if not any(candidate.is_relative_to(root) for root in allowed_roots):
            raise FetchRefused(f"Static path resolves outside the report folders: {url[:200]!r}")
        if not candidate.is_file():
            raise FetchRefused(f"No such static file: {url[:200]!r}")
        return self._response(url, candidate.read_bytes(), content_type)


def _font_config():
    """One font configuration per thread, reused across renders: Pango then keeps its
    font and glyph caches warm (the report only uses system fonts, no @font-face), which
    saves a tenth of the render time. Worker recycling bounds what the caches hold."""
    config = getattr(_local, "font_config", None)
    if config is None:
        config = _local.font_config = FontConfiguration()
    return config


def render_pdf(
    html,
    *,
    stylesheets=(),
    attachments=(),
    metadata=None,
    fetcher=None,
    variant=PDF_VARIANT,
):
    """Render `html` (a string produced by an autoescaping template) to PDF bytes.

    - `base_url=None` and the deny-by-default fetcher: relative URLs resolve to nothing,
      absolute ones other than `data:`/`mcqa-static:` are refused.
    - `stylesheets`: internal URLs (`mcqa-static:...`) of the print CSS; a missing one
      is an error, never a silently unstyled report.
    - `attachments`: `(name, bytes, description)` triples embedded as PDF/A-3 associated
      files with the relationship `Data`. Attachments declared by the HTML itself
      (`<link rel=attachment>`) are dropped: only what the caller passes is embedded.
    - `metadata`: optional `title`, `authors` (list), `subject`, `keywords` (list) and
      `custom` (dict) overriding what the HTML `<title>`/`<meta>` give.
    - PDF/A-3u with tags (structure tree for assistive technology) and the sRGB
      output intent the PDF/A variant requires.
    """
    fetcher = fetcher or SafeURLFetcher()
    font_config = _font_config()
    css = [CSS(url=url, url_fetcher=fetcher, font_config=font_config) for url in stylesheets]
    document = HTML(string=html, base_url=None, url_fetcher=fetcher).render(
        stylesheets=css, font_config=font_config, pdf_variant=variant, pdf_tags=True
    )
    meta = document.metadata
    # Only the caller's attachments: never a file the HTML asked for.
    meta.attachments = []
    metadata = metadata or {}
    if metadata.get("title"):
        meta.title = metadata["title"]
    if metadata.get("authors"):
        meta.authors = list(metadata["authors"])
    if metadata.get("subject"):
        meta.description = metadata["subject"]
    if metadata.get("keywords"):
        meta.keywords = list(metadata["keywords"])
    if metadata.get("custom"):
        meta.custom = {**meta.custom, **metadata["custom"]}
    pdf_attachments = [
        Attachment(
            string=content,
            name=name,
            description=description,
            relationship="Data",
            url_fetcher=fetcher,
        )
        for name, content, description in attachments
    ]
    return document.write_pdf(
        pdf_variant=variant,
        pdf_tags=True,
        attachments=pdf_attachments,
        custom_metadata=True,
        output_intent="srgb",
    )
