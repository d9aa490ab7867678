#!/usr/bin/env bash
# Debian packages the platform needs: a CJK font (PDF reports, screenshots) and, for tests,
# the system Chromium that Playwright drives. Installs them when run as root; otherwise says what to run.
set -euo pipefail
what=${1:-demo}
need=()
# Noto CJK for the pages and screenshots; WenQuanYi Micro Hei (TrueType) is embedded in report PDFs.
fc-list 2>/dev/null | grep -qi 'Noto Sans CJK' || need+=(fonts-noto-cjk)
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
if [ "$what" = test ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian packages: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  exit 0
fi
echo "GovTrust needs these Debian packages: ${need[*]}"
echo "Install them with:  sudo apt-get install ${need[*]}"
if [ "$what" = test ]; then
  echo "The browser tests cannot run without /usr/bin/chromium; refusing to skip them." >&2
  exit 1
fi
echo "(continuing without them: PDF reports will lack an embedded CJK font)"
