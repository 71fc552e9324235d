#!/usr/bin/env bash
# Install (or explain how to install) the system packages minimarket needs.
# Usage: ops/setup/system-deps.sh GROUP...   groups: base (OCR), test (PostgreSQL), browser (Chromium),
#        ops (docker-compose to validate the compose file, promtool and amtool for the alert rules, nginx for
#        ops/nginx/nginx.conf)
# Fast when everything is present: it only checks. Installs with apt-get when run as root; otherwise it
# prints the exact command to run and exits 1.
set -euo pipefail

need=()
have_pg() { compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null; }

for group in "$@"; do
  case "$group" in
    base)
      if ! command -v tesseract >/dev/null || ! tesseract --list-langs 2>/dev/null | grep -qx spa; then
        need+=(tesseract-ocr tesseract-ocr-spa)
      fi
      ;;
    test)
      have_pg || need+=(postgresql)
      command -v redis-server >/dev/null || need+=(redis-server)  # shared rate limits across replicas
      ;;
    browser)
      command -v chromium >/dev/null || need+=(chromium chromium-driver)
      ;;
    ops)
      # Compose v1 (bookworm) is /usr/bin/docker-compose; v2 may be packaged as a docker CLI plugin only
      command -v docker-compose >/dev/null || [ -x /usr/libexec/docker/cli-plugins/docker-compose ] \
        || need+=(docker-compose)
      command -v promtool >/dev/null || need+=(prometheus)
      command -v amtool >/dev/null || need+=(prometheus-alertmanager)
      command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
      ;;
    *) echo "system-deps.sh: unknown group '$group' (use base, test, browser, ops)" >&2; exit 2 ;;
  esac
done

[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo ">> installing system packages: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  # Packages that ship a daemon (prometheus, alertmanager) must not start it: only their tools are used.
  blocker=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    blocker=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' >"$blocker" && chmod +x "$blocker"
  fi
  status=0
  apt-get install -y -qq --no-install-recommends "${need[@]}" >&2 || status=$?
  [ -n "$blocker" ] && rm -f "$blocker"
  exit $status
fi

cat >&2 <<MSG
minimarket needs these system packages, which are not installed: ${need[*]}
Install them, then run make again:
  Debian/Ubuntu:  sudo apt-get install -y ${need[*]}
  macOS (brew):   brew install tesseract tesseract-lang postgresql chromium docker-compose prometheus alertmanager nginx
MSG
exit 1
