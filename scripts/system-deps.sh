#!/usr/bin/env bash
# Install the Debian packages the project needs, only those that are missing.
#
#   scripts/system-deps.sh pdf      what WeasyPrint needs to render reports (Pango, fonts)
#   scripts/system-deps.sh test     the above plus chromium (browser tests), poppler-utils
#                                   and qpdf (checks on generated PDFs), gettext (the
#                                   check that the German catalogues are complete)
#   scripts/system-deps.sh ci       the above plus the PostgreSQL and Redis servers
#   scripts/system-deps.sh bench    the pdf set plus wrk, the load generator of
#                                   `make bench` (without it the benchmark falls back to
#                                   its Python client, which shares the server's CPU)
#
# Does nothing when everything is present; runs `apt-get update` once before the first
# install; without root it names what is missing and fails.
set -euo pipefail

level=${1:-test}
missing=()

have_cmd() { command -v "$1" >/dev/null 2>&1; }
# Read the linker cache once: `ldconfig -p | grep -q` would die of SIGPIPE under pipefail.
LIBS=$(ldconfig -p 2>/dev/null || true)
have_lib() { [[ $LIBS == *"$1"* ]]; }

have_lib 'libpango-1.0.so.0' || missing+=(libpango-1.0-0)
have_lib 'libpangoft2-1.0.so.0' || missing+=(libpangoft2-1.0-0)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
if [ "$level" = test ] || [ "$level" = ci ]; then
    have_cmd chromium || missing+=(chromium)
    have_cmd pdftotext || missing+=(poppler-utils)
    have_cmd qpdf || missing+=(qpdf)
    have_cmd xgettext || missing+=(gettext)
fi
if [ "$level" = bench ]; then
    have_cmd wrk || missing+=(wrk)
fi
if [ "$level" = ci ]; then
    have_cmd pg_ctlcluster || missing+=(postgresql)
    have_cmd redis-server || missing+=(redis-server)
    have_cmd make || missing+=(make)
fi

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    echo "missing system packages: ${missing[*]}" >&2
    echo "install them as root: apt-get install -y ${missing[*]}" >&2
    exit 1
fi
echo "==> apt-get install ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
