#!/bin/sh
# Debian's chromium, for the tests that open graph.html in a real headless browser.
# Does nothing when chromium is already installed.
set -e
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium
