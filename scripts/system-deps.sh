#!/bin/sh
# Installs the system packages the app needs, where this machine lets us:
#   runtime: CJK fonts and pango for WeasyPrint's Chinese PDFs
#   test:    the above, plus Chromium (browser tests), poppler-utils (PDF → PNG checks) and the
#            PostgreSQL client (the backup tests run pg_dump/pg_restore)
#   bench:   the above, plus wrk (the load generator of bench/national.py) and the PostgreSQL client
#   backup:  the PostgreSQL client (pg_dump/pg_restore for make backup / make restore)
# Without root or sudo it says what is missing and carries on; the app still
# runs, PDFs may lack Chinese glyphs, and browser tests are skipped.
set -u
profile=${1:-runtime}
packages="fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0"
if [ "$profile" = "test" ] || [ "$profile" = "bench" ]; then
  packages="$packages chromium poppler-utils postgresql-client"
fi
if [ "$profile" = "backup" ]; then
  packages="postgresql-client"
fi
if [ "$profile" = "bench" ]; then
  packages="$packages wrk"
fi

command -v dpkg-query >/dev/null 2>&1 || { echo "system-deps: not a Debian-based system; install by hand: $packages" >&2; exit 0; }

missing=""
for p in $packages; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = "0" ]; then
  run=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  run="sudo"
else
  echo "system-deps: missing:$missing — install with: sudo apt-get install$missing" >&2
  exit 0
fi
echo "system-deps: installing$missing"
$run env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || true
if ! $run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null; then
  echo "system-deps: apt-get could not install$missing" >&2
fi
exit 0
