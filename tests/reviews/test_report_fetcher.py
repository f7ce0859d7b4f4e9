"""The report renderer's URL fetcher refuses everything but data: URLs and our own
report static files, so nothing a user writes can make WeasyPrint read a local file or
open a network connection."""

import base64
import io
import socket
import threading
from pathlib import Path

import pytest
from pypdf import PdfReader

from core.pdf import FetchRefused, SafeURLFetcher, render_pdf, static_url

from .test_report_case import pdf_text

REFUSED = [
    "file:///etc/passwd",
    "FILE:///etc/passwd",
    "file://localhost/etc/passwd",
    "http://127.0.0.1:9/x.png",
    "https://example.org/logo.png",
    "ftp://example.org/file",
    "gopher://example.org/",
    "//example.org/x.png",
    "/etc/passwd",
    "etc/passwd",
    "../static/reports/report.css",
    "reports/report.css",
    "javascript:alert(1)",
    "mcqa-static:/etc/passwd",
    "mcqa-static://etc/passwd",
    "mcqa-static:reports/../../config/settings/base.py",
    "mcqa-static:reports/%2e%2e/%2e%2e/manage.py",
    "mcqa-static:reports/..%2f..%2fmanage.py",
    "mcqa-static:reports\\..\\..\\manage.py",
    "mcqa-static:reports/report.css?x=1",
    "mcqa-static:reports/report.css#x",
    "mcqa-static:reports/missing.css",
    "mcqa-static:web/app.css",
    "mcqa-static:reports",
    "mcqa-static:",
    "mcqa-static:reports/report.css%00.png",
]


@pytest.mark.parametrize("url", REFUSED)
def test_fetcher_refuses_everything_but_data_and_report_static_files(url):
    fetcher = SafeURLFetcher()
    with pytest.raises(FetchRefused):
        fetcher.fetch(url)
    assert fetcher.refused == [url]
    assert fetcher.served == []


def test_fetcher_serves_the_report_stylesheet_from_static_reports(settings):
    fetcher = SafeURLFetcher()
    response = fetcher.fetch(static_url("reports/report.css"))
    body = response.read()
    assert body == (settings.BASE_DIR / "static" / "reports" / "report.css").read_bytes()
    assert response.content_type == "text/css"
    assert fetcher.served == ["mcqa-static:reports/report.css"]


def test_fetcher_decodes_data_urls_without_touching_anything():
    fetcher = SafeURLFetcher()
    payload = base64.b64encode(b"\x89PNG fake").decode()
    assert fetcher.fetch(f"data:image/png;base64,{payload}").read() == b"\x89PNG fake"
    assert fetcher.fetch("data:text/plain,hello%20world").read() == b"hello world"
    with pytest.raises(FetchRefused):
        fetcher.fetch("data:text/plain")  # no comma: malformed


def test_fetcher_refuses_oversized_data_urls():
    fetcher = SafeURLFetcher()
    with pytest.raises(FetchRefused):
        fetcher.fetch("data:text/plain," + "a" * (3 * 1024 * 1024))


def test_symlink_out_of_the_report_folder_is_refused(tmp_path):
    (tmp_path / "reports").mkdir()
    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }")
    (tmp_path / "reports" / "link.css").symlink_to(secret)
    (tmp_path / "reports" / "ok.css").write_text("p { color: blue }")
    fetcher = SafeURLFetcher(static_root=tmp_path)
    with pytest.raises(FetchRefused):
        fetcher.fetch("mcqa-static:reports/link.css")
    assert fetcher.fetch("mcqa-static:reports/ok.css").read() == b"p { color: blue }"


def test_the_fetcher_never_calls_urllib_handlers():
    """Even WeasyPrint's `open()` entry point goes through the allow-list."""
    fetcher = SafeURLFetcher()
    with pytest.raises(FetchRefused):
        fetcher.open("file:///etc/passwd")
    with pytest.raises(FetchRefused):
        fetcher("http://127.0.0.1:9/")


class Listener:
    """A TCP port on localhost that records every connection made to it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def test_raw_hostile_markup_fetches_nothing_and_embeds_nothing(listener, settings):
    """Defence in depth: even markup that bypassed autoescaping (it cannot: the template
    escapes) would make the fetcher refuse every local-file and network reference."""
    base = f"http://127.0.0.1:{listener.port}"
    hostile = [
        "file:///etc/passwd",
        f"{base}/img.png",
        f"{base}/style.css",
        f"{base}/imported.css",
        f"{base}/bg.png",
        "file:///etc/hostname",
        f"{base}/font.woff",
        f"{base}/svg-image.png",
    ]
    html = f"""<!doctype html><html lang="en"><head><title>t</title>
    <link rel="stylesheet" href="{hostile[2]}">
    <link rel="attachment" href="{hostile[0]}" title="passwd">
    <style>@import url({hostile[3]}); p {{ background: url({hostile[4]}); }}
    @font-face {{ font-family: x; src: url({hostile[6]}); }}</style></head>
    <body><p>Visible words</p><img src="{hostile[1]}" alt="">
    <a rel="attachment" href="{hostile[5]}">hostname</a>
    <svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">
    <image href="{hostile[7]}" width="10" height="10"/></svg></body></html>"""
    fetcher = SafeURLFetcher()
    pdf = render_pdf(html, fetcher=fetcher, attachments=[("report.json", b"{}", "data")])
    assert listener.connections == 0
    assert fetcher.served == []
    # `<link rel=attachment>` is dropped before anything is fetched; the rest is refused.
    assert set(hostile[1:]) <= set(fetcher.refused)
    reader = PdfReader(io.BytesIO(pdf))
    assert list(reader.attachments) == ["report.json"]
    text = pdf_text(pdf)
    assert "Visible words" in text
    passwd_line = Path("/etc/passwd").read_text().splitlines()[0].strip()
    assert passwd_line not in text
    assert passwd_line.encode() not in pdf
