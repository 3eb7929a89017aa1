#!/usr/bin/env bash
# The browser tests (test/browser) drive Debian's Chromium through playwright-core:
# `npx playwright install` needs a download this machine cannot make. Installs it with
# apt-get when it is missing; CHROMIUM_PATH points the tests at another build.
set -euo pipefail

chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "${chromium}" ]; then
  exit 0
fi
if [ -n "${CHROMIUM_PATH:-}" ]; then
  echo "CHROMIUM_PATH=${CHROMIUM_PATH} is not an executable" >&2
  exit 1
fi

echo "==> installing chromium (for the browser tests)"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends chromium
"${chromium}" --version
