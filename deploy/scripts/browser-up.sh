#!/usr/bin/env bash
# Installs what the browser tests need: Debian's Chromium and playwright-core (never a downloaded browser).
set -euo pipefail
cd "$(dirname "$0")/../.."
# socat forwards the browser's ports into its network namespace (tests/browser/chromium-in-netns.sh).
if ! command -v chromium >/dev/null 2>&1 || ! command -v socat >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium socat >/dev/null
fi
chromium --version
(cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --silent)
echo "export GRANARY_CHROMIUM=$(command -v chromium)"
