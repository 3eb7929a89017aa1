#!/usr/bin/env bash
# The browser tests (test/browser) drive Debian's Chromium through playwright-core:
# `npx playwright install` needs a download this machine cannot make. `npm test` runs this
# first (test/browser/global-setup.ts): installs Chromium with apt-get when it is missing and
# this user may (root, or sudo without a password). CHROMIUM_PATH points the tests at another
# build.
#
# Exit status: 0 Chromium is there; 2 it is not and cannot be installed here (one line on
# stderr says why: the browser suites are then skipped); anything else: the install failed.
set -euo pipefail

chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "${chromium}" ]; then
  exit 0
fi

cannot() {
  echo "No Chromium at ${chromium} and $1: browser tests skipped (install the chromium package, or set CHROMIUM_PATH)" >&2
  exit 2
}

command -v apt-get >/dev/null 2>&1 || cannot "no apt-get to install it with"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || cannot "not root, no sudo"
  sudo -n true 2>/dev/null || cannot "not root, sudo asks for a password"
  sudo_cmd=(sudo -n)
fi

echo "==> installing chromium (for the browser tests)" >&2
"${sudo_cmd[@]}" apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends chromium >&2
if [ ! -x "${chromium}" ]; then
  echo "apt-get installed chromium, but ${chromium} is still not an executable" >&2
  exit 1
fi
