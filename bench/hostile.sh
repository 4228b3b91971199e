#!/usr/bin/env bash
# Runs every hostile input (tests/it/hostile_cases.rs, written out by examples/gen_hostile.rs) and
# the hostile fixtures through the release binary, one process each, and checks each against
# its bound: the diagnostic it must report, wall time and peak memory (/usr/bin/time). Also
# runs 1,000 and 10,000 templates without a database, whose peak must not grow with the tree.
# Exit 1 when any case misses its diagnostic or its bound.
#
#   bench/hostile.sh                       # bounds: 1 s and 64 MB per case
#   TIME_BOUND=0.5 MEM_BOUND_MB=32 bench/hostile.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/bench/hostile
time_bound=${TIME_BOUND:-1}        # seconds, per case
mem_bound=${MEM_BOUND_MB:-64}      # MB of peak resident memory, per case
walk_time_bound=${WALK_TIME_BOUND:-3}  # seconds, for the directories of 10,000+ files

[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
cargo build --release --locked --quiet --bin intransit --example gen_hostile
bin=$PWD/target/release/intransit
list=$(target/release/examples/gen_hostile "$out")
list+=$'\n'"fixtures/terraform/module-cycle"$'\t'"."$'\t'"rds-tls-unverifiable"
list+=$'\n'"fixtures/cloudformation"$'\t'"hostile-reference-cycles.yaml"$'\t'"rds-tls-unverifiable"

failed=0
printf '%-42s %8s %8s  %s\n' case "wall s" "peak MB" verdict
while IFS=$'\t' read -r dir name expected case_time case_mem; do
  [ -n "$dir" ] || continue
  bound=${case_time:-$time_bound}
  case "$dir" in *-100k|*-10k) bound=$walk_time_bound ;; esac
  mem_case=${case_mem:-$mem_bound}
  report=$( (cd "$dir" && /usr/bin/time -f '%e %M' -o /tmp/intransit-hostile.time \
    "$bin" check "$name" --format concise 2>/tmp/intransit-hostile.err) || true)
  read -r wall kb < <(tail -n 1 /tmp/intransit-hostile.time)
  mb=$((kb / 1024))
  verdict=ok
  # A directory without templates says so; anything else on stderr is a failure.
  sed -i '/^intransit: warning: no CloudFormation or Terraform found$/d' /tmp/intransit-hostile.err
  if [ -s /tmp/intransit-hostile.err ]; then verdict="stderr: $(head -c 200 /tmp/intransit-hostile.err)"
  elif [ -z "$expected" ] && [ -n "$report" ]; then verdict="expected no finding, got: ${report:0:120}"
  elif [ -n "$expected" ] && [[ "$report" != *"$expected"* ]]; then verdict="missing: $expected"
  elif awk "BEGIN{exit !($wall > $bound)}"; then verdict="over ${bound} s"
  elif [ "$mb" -gt "$mem_case" ]; then verdict="over ${mem_case} MB"
  fi
  [ "$verdict" = ok ] || failed=1
  printf '%-42s %8s %8s  %s\n' "${dir#"$out"/}/${name#./}" "$wall" "$mb" "$verdict"
done <<<"$list"
exit $failed
