#!/usr/bin/env bash
# The benchmark report: for each seed scenario of corpus/seeds on the oldest profile it must violate, the time and
# executions to first find its signature with
#   guided  FuzzFarm's coverage-guided engine, one process, one core (what `fuzzfarm fuzz` runs)
#   blind   the same generator without feedback (random programs)
#   afl     AFL++ 4.04c on the SharpFuzz byte-level harness (fuzzer/FuzzFarm.AflHarness), stopping at that signature
#   farm    the embedded farm (`fuzzfarm run`: one silo, a machine grain per core, hub, triage, PostgreSQL)
# over several fuzzing seeds (medians), each run capped; then executions/s from 1 to 2 cores.
# Writes bench/REPORT.md (printed at the end), bench/report.png (gnuplot) and the raw runs in bench/report-runs.tsv.
# Knobs (environment): REPORT_SEEDS (3) seeds per engine and scenario, REPORT_CAP (6) seconds per run,
# REPORT_FARM_SEEDS (1) farm runs per scenario (0: no farm), REPORT_SCALING_SECONDS (10), REPORT_ONLY (a regex
# matched against scenario names). Worst case (every run capped) is printed first; the defaults stay under 30 minutes on 2 cores.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
export FUZZFARM_ARTIFACTS="${FUZZFARM_ARTIFACTS:-$repo/artifacts}"
seeds="${REPORT_SEEDS:-3}" cap="${REPORT_CAP:-6}" farm_seeds="${REPORT_FARM_SEEDS:-1}"
scaling_seconds="${REPORT_SCALING_SECONDS:-10}" only="${REPORT_ONLY:-.}"
for n in "$seeds" "$cap" "$farm_seeds" "$scaling_seconds"; do
  [[ "$n" =~ ^[0-9]+$ ]] || { echo "report: REPORT_SEEDS, REPORT_CAP, REPORT_FARM_SEEDS and REPORT_SCALING_SECONDS must be whole numbers, got '$n'" >&2; exit 2; }
done
say() { echo "report: $*" >&2; }
started=$SECONDS
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"

say "building the benchmark (Release)"
dotnet build -c Release bench/FuzzFarm.Bench -v quiet -nologo >&2
bench=(dotnet "$FUZZFARM_ARTIFACTS/bin/FuzzFarm.Bench/release/FuzzFarm.Bench.dll" baselines)

afl=1
if bench/afl/install.sh && AFL_DIR="$FUZZFARM_ARTIFACTS/afl" bench/afl/build.sh >/dev/null; then
  say "AFL++ harness built"
else
  afl=0
  say "AFL++ is not available: its columns are left empty"
fi

if (( farm_seeds > 0 )) && [[ -z "${FUZZFARM_PG:-}" ]]; then
  FUZZFARM_PG="$(deploy/local/postgres.sh start)" || { say "PostgreSQL did not start: no farm runs"; farm_seeds=0; }
fi
export FUZZFARM_PG="${FUZZFARM_PG:-}"

work="$FUZZFARM_ARTIFACTS/report"
rm -rf "$work"
mkdir -p "$work"
"${bench[@]}" targets --seeds corpus/seeds | awk -F'\t' -v re="$only" '$1 ~ re' >"$work/targets.tsv"
targets=$(grep -c . "$work/targets.tsv" || true)
(( targets > 0 )) || { say "no scenario matches REPORT_ONLY='$only'"; exit 2; }
# Start-up per run, measured here: ~1 s for a benchmark process, ~3 s for AFL++'s fork server, ~15 s to start and
# stop the embedded farm's silo.
worst=$(( targets * (seeds * (2 * (cap + 1) + afl * (cap + 3)) + farm_seeds * (cap + 15)) + 4 * scaling_seconds + 40 ))
say "$targets scenarios x $seeds seeds, cap ${cap}s: worst case about $(( worst / 60 )) min of runs (plus builds)"

fields() { # line, keys...: the values of those keys of a key=value line, tab-separated
  local line="$1" pair key
  shift
  local -A kv=()
  for pair in $line; do kv["${pair%%=*}"]="${pair#*=}"; done
  local values=()
  for key in "$@"; do values+=("${kv[$key]:--}"); done
  (IFS=$'\t'; echo "${values[*]}")
}
run_keys=(engine profile seed found first_ms first_execs execs seconds execs_per_sec)
runs="bench/report-runs.tsv"
(IFS=$'\t'; echo "scenario	${run_keys[*]}") >"$runs"
record() { # scenario, key=value line (empty when the run failed: it is kept as an error row)
  local line="${2:-engine=$3 profile=$4 seed=$5 found=error}"
  printf '%s\t%s\n' "$1" "$(fields "$line" "${run_keys[@]}")" >>"$runs"
  say "$1: $line"
}

while IFS=$'\t' read -r scenario profile signature; do
  for ((seed = 1; seed <= seeds; seed++)); do
    for engine in guided blind; do
      record "$scenario" "$("${bench[@]}" find --engine "$engine" --profile "$profile" --signature "$signature" --seed "$seed" --seconds "$cap" 2>>"$work/bench.log")" "$engine" "$profile" "$seed"
    done
    if (( afl )); then
      line="$(AFL_DIR="$FUZZFARM_ARTIFACTS/afl" bench/afl/fuzz.sh machine --profile "$profile" --signature "$signature" \
        --seconds "$cap" --seed "$seed" --until-crash --out "$work/afl-$scenario-$seed")" || line=""
      record "$scenario" "${line/engine=afl-machine/engine=afl}" afl "$profile" "$seed"
    fi
  done
  for ((seed = 1; seed <= farm_seeds; seed++)); do
    record "$scenario" "$("${bench[@]}" find --engine farm --profile "$profile" --signature "$signature" --seed "$seed" --seconds "$cap" 2>>"$work/bench.log")" farm "$profile" "$seed"
  done
done <"$work/targets.tsv"

scaling_keys=(engine jobs profile execs seconds execs_per_sec)
scaling="bench/report-scaling.tsv"
(IFS=$'\t'; echo "${scaling_keys[*]}") >"$scaling"
scaling_profile="$(cut -f2 "$work/targets.tsv" | head -n 1)"
"${bench[@]}" scaling --profile "$scaling_profile" --seconds "$scaling_seconds" $( (( farm_seeds > 0 )) || echo --no-farm ) \
  >"$work/scaling.txt" 2>>"$work/bench.log" || say "the scaling run failed (see $work/bench.log); its table keeps what it printed"
while read -r line; do
  fields "$line" "${scaling_keys[@]}" >>"$scaling"
  say "scaling: $line"
done <"$work/scaling.txt"

python3 bench/report_render.py --runs "$runs" --scaling "$scaling" --cap "$cap" --cores "$(nproc)" \
  --minutes "$(( (SECONDS - started + 59) / 60 ))" --load "$load_start / $(cut -d' ' -f1-3 /proc/loadavg)" --out bench/REPORT.md --plot-data "$work/plot.dat"
if command -v gnuplot >/dev/null; then
  gnuplot -e "data='$work/plot.dat'; out='bench/report.png'; cap=$cap" bench/report.gp
else
  say "gnuplot is missing (apt-get install gnuplot-nox): no plot"
fi
cat bench/REPORT.md
say "done in $(( (SECONDS - started) / 60 )) min $(( (SECONDS - started) % 60 )) s"
