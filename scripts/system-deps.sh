#!/usr/bin/env bash
# Debian packages the tests and the demo need, installed only when missing.
# Usage: scripts/system-deps.sh [test]   (test: also Chromium, ChromeDriver and a CJK font)
set -euo pipefail

need=()
python3 -c 'import ensurepip, venv' 2>/dev/null || need+=(python3-venv)
if [ "${1:-}" = "test" ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
  fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-noto-cjk)
fi
[ ${#need[@]} -eq 0 ] && exit 0

echo "installing Debian packages: ${need[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${need[@]}"
