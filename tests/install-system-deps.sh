#!/bin/sh
# Debian's chromium, for the tests that open graph.html in a real headless browser, and
# Debian's Virtuoso, for the tests that publish into it with `kg load`.
# Does nothing when both are already installed.
set -e
command -v chromium >/dev/null 2>&1 && command -v virtuoso-t >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
# The package asks for a dba password for the system-wide server; the tests start their own
# server with a fresh database, so the answer does not matter: preseed it to stay quiet.
for question in dba-password dba-password-again; do
  echo "virtuoso-opensource-7 virtuoso-opensource-7/$question password dba"
done | $SUDO debconf-set-selections 2>/dev/null || true
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium virtuoso-opensource
# The package starts its own server on ports 1111 and 8890; the tests need none of it.
if command -v service >/dev/null 2>&1; then
  $SUDO service virtuoso-opensource-7 stop >/dev/null 2>&1 || true
fi
