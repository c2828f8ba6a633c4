#!/usr/bin/env bash
# Makes AFL++ and the sharpfuzz tool available: afl++ from Debian (4.04c) when missing and we are root, the tool from
# the repository's local manifest (.config/dotnet-tools.json). Exit 0 when both are usable, 1 with a message otherwise.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

if ! command -v afl-fuzz >/dev/null 2>&1; then
  if [[ "$(id -u)" != 0 ]]; then
    echo "afl: afl-fuzz is missing and we are not root to apt-get install afl++" >&2
    exit 1
  fi
  echo "afl: installing afl++ from Debian" >&2
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q afl++; } >&2 \
    || { echo "afl: apt-get install afl++ failed" >&2; exit 1; }
fi
dotnet tool restore >/dev/null || { echo "afl: dotnet tool restore (sharpfuzz) failed" >&2; exit 1; }
exit 0
