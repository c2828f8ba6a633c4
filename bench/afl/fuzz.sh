#!/usr/bin/env bash
# Runs AFL++ on one SharpFuzz harness of fuzzer/FuzzFarm.AflHarness (built by build.sh when missing).
#   fuzz.sh parser  --seconds N [--seed S] [--out DIR]
#       robustness of the parser and the replay path, starting from corpus/seeds; exit 1 when it saved a crash
#   fuzz.sh machine --profile P [--signature SIG] --seconds N [--seed S] [--out DIR] [--until-crash]
#       the byte-level baseline from a blind 16-byte input; with --until-crash AFL++ stops at the first crash
# Prints AFL++'s log to DIR/afl.log and one summary line on stdout:
#   engine=afl-<harness> profile=P seed=S found=yes|no first_ms=T first_execs=E execs=N seconds=S execs_per_sec=R crashes=C
# (first_* are AFL++'s own counts at the first saved crash, taken from its file name; '-' when none).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
AFL_DIR="${AFL_DIR:-${FUZZFARM_ARTIFACTS:-$repo/artifacts}/afl}"

die() { echo "afl: $*" >&2; exit 2; }
harness="${1:-}"
[[ "$harness" == parser || "$harness" == machine ]] || die "usage: fuzz.sh parser|machine --seconds N [--profile P] [--signature SIG] [--seed S] [--out DIR] [--until-crash]"
shift
seconds="" profile="" signature="" seed=1 out="" until_crash=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) seconds="${2:-}"; shift 2 ;;
    --profile) profile="${2:-}"; shift 2 ;;
    --signature) signature="${2:-}"; shift 2 ;;
    --seed) seed="${2:-}"; shift 2 ;;
    --out) out="${2:-}"; shift 2 ;;
    --until-crash) until_crash=1; shift ;;
    *) die "unknown option '$1'" ;;
  esac
done
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || die "--seconds must be a positive whole number, got '$seconds'"
[[ "$seed" =~ ^[0-9]+$ ]] || die "--seed must be a non-negative whole number, got '$seed'"
[[ "$harness" == parser || -n "$profile" ]] || die "machine needs --profile"
command -v afl-fuzz >/dev/null || die "afl-fuzz is not installed (bench/afl/install.sh)"
[[ -f "$AFL_DIR/$harness/fuzzfarm-afl.dll" ]] || AFL_DIR="$AFL_DIR" "$repo/bench/afl/build.sh" >/dev/null
out="${out:-$AFL_DIR/runs/$harness-${profile:-all}-$seed}"
rm -rf "$out"
mkdir -p "$out/in"

if [[ "$harness" == parser ]]; then
  cp "$repo"/corpus/seeds/*.ff "$out/in/"
else
  printf '\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f' >"$out/in/blind"
  # Checked here: inside the harness a bad profile can only kill AFL++'s fork server.
  FUZZFARM_PROFILE="$profile" dotnet "$AFL_DIR/$harness/fuzzfarm-afl.dll" show <"$out/in/blind" >/dev/null 2>"$out/profile-check" \
    || { [[ $? == 1 ]] || die "$(cat "$out/profile-check")"; }
fi

export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export FUZZFARM_PROFILE="$profile" FUZZFARM_SIGNATURE="$signature"
[[ "$until_crash" == 1 ]] && export AFL_BENCH_UNTIL_CRASH=1
# A timeout kills SharpFuzz's in-process fork server, so the per-input limit is generous.
afl-fuzz -i "$out/in" -o "$out/findings" -s "$seed" -V "$seconds" -t 10000 -m none \
  -- dotnet "$AFL_DIR/$harness/fuzzfarm-afl.dll" "$harness" >"$out/afl.log" 2>&1 \
  || { echo "afl: afl-fuzz failed, see $out/afl.log:" >&2; tail -n 5 "$out/afl.log" >&2; exit 2; }

stats="$out/findings/default/fuzzer_stats"
stat() { sed -n "s/^$1 *: *//p" "$stats"; }
crashes="$(find "$out/findings/default/crashes" -name 'id:*' 2>/dev/null | sort)"
count="$(grep -c . <<<"$crashes" || true)"
first="$(head -n 1 <<<"$crashes")"
first_ms="$(sed -n 's/.*,time:\([0-9]*\).*/\1/p' <<<"$first")"
first_execs="$(sed -n 's/.*,execs:\([0-9]*\).*/\1/p' <<<"$first")"
echo "engine=afl-$harness profile=${profile:--} seed=$seed found=$([[ $count -gt 0 ]] && echo yes || echo no) first_ms=${first_ms:--} first_execs=${first_execs:--} execs=$(stat execs_done) seconds=$(stat run_time) execs_per_sec=$(stat execs_per_sec) crashes=$count"
if [[ "$harness" == parser && $count -gt 0 ]]; then
  echo "afl: the parser harness crashed; inputs in $out/findings/default/crashes (replay one: dotnet $AFL_DIR/parser/fuzzfarm-afl.dll parser < FILE)" >&2
  exit 1
fi
exit 0
