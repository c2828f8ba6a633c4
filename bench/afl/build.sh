#!/usr/bin/env bash
# Publishes fuzzer/FuzzFarm.AflHarness once and makes two instrumented copies with the sharpfuzz tool (it rewrites
# DLLs in place and refuses to instrument twice, hence fresh copies every build):
#   $AFL_DIR/machine  Machine and Oracle instrumented: the byte-level baseline's coverage is the kernel's code
#   $AFL_DIR/parser   Programs too: the robustness harness is about the parser
# AFL_DIR defaults to $FUZZFARM_ARTIFACTS/afl (or artifacts/afl). Prints AFL_DIR.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
AFL_DIR="${AFL_DIR:-${FUZZFARM_ARTIFACTS:-$PWD/artifacts}/afl}"

rm -rf "$AFL_DIR/publish" "$AFL_DIR/machine" "$AFL_DIR/parser"
dotnet publish fuzzer/FuzzFarm.AflHarness -c Release -o "$AFL_DIR/publish" -v quiet -nologo >&2
dotnet tool restore >/dev/null

instrument() { # folder, assemblies...
  local folder="$1"
  shift
  cp -r "$AFL_DIR/publish" "$folder"
  for dll in "$@"; do
    dotnet sharpfuzz "$folder/$dll.dll" >/dev/null
  done
}
instrument "$AFL_DIR/machine" FuzzFarm.Machine FuzzFarm.Oracle
instrument "$AFL_DIR/parser" FuzzFarm.Programs FuzzFarm.Machine FuzzFarm.Oracle
echo "$AFL_DIR"
