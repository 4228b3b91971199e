#!/usr/bin/env bash
# Benchmarks intransit against checkov (CKV2_AWS_69) and cfn-lint, with `cat` of the same files
# as the floor, on generated 1k and 10k corpora and on one small template. Prints wall time,
# CPU time, peak memory, MB/s and ratios, and checks intransit's findings against the corpus
# truth files. Peers run on the 10k corpus only with PEERS_ON_10K=1 (checkov takes minutes).
# The report formats (JSON, SARIF, human) are compared on 10k files, and on 100k files with
# CORPUS_100K=1; with valgrind installed, the instructions of the JSON and human reports on 1k
# files too (a count that does not move with the machine's load).
#
#   bench/run.sh                 # results in target/bench/results/
#   CORPUS_100K=1 bench/run.sh   # also 100,000 files (2.6 GB in target/bench/corpus-100k)
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/bench
mkdir -p "$out/results"

command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
cargo build --release --locked --quiet --bin intransit --example gen_corpus
bin=$PWD/target/release/intransit

for spec in 1k:1000 10k:10000; do
  name=${spec%%:*} count=${spec##*:}
  [ -f "$out/corpus-$name/truth.tsv" ] || target/release/examples/gen_corpus "$count" "$out/corpus-$name"
done
if [ ! -x "$out/venv/bin/checkov" ]; then
  python3 -m venv "$out/venv"
  "$out/venv/bin/pip" install --quiet checkov==3.3.30 cfn-lint==1.58.0
fi
checkov=$PWD/$out/venv/bin/checkov cfnlint=$PWD/$out/venv/bin/cfn-lint
single=$PWD/fixtures/cloudformation/engine-postgres.yaml

echo "== correctness: the truth files"
for name in 1k 10k; do
  "$bin" check "$out/corpus-$name" --format json -o "$out/results/intransit-$name.json" || true
  python3 bench/check_truth.py "$out/corpus-$name" "$out/results/intransit-$name.json"
done

bench() { # name, runs, commands...
  local name=$1 runs=$2; shift 2
  hyperfine --ignore-failure --warmup 1 --runs "$runs" --export-json "$out/results/$name.json" "$@" >/dev/null
}
echo "== timing (hyperfine)"
bench single 30 -N \
  -n intransit "$bin check $single --format json" \
  -n checkov "$checkov -f $single --check CKV2_AWS_69 --quiet --compact" \
  -n cfn-lint "$cfnlint $single"
c1k=$PWD/$out/corpus-1k c10k=$PWD/$out/corpus-10k
bench corpus-1k 5 \
  -n cat "find $c1k -type f -exec cat {} + > /dev/null" \
  -n intransit "$bin check $c1k --format json -o /dev/null"
# The peers take minutes per run on 1,000 files: one run each, no warm-up.
hyperfine --ignore-failure --runs 1 --export-json "$out/results/corpus-1k-peers.json" \
  -n checkov "$checkov -d $c1k --check CKV2_AWS_69 --quiet --compact > /dev/null" \
  -n cfn-lint "$cfnlint '$c1k/cfn-*/*' > /dev/null" >/dev/null
if [ "${PEERS_ON_10K:-0}" = 1 ]; then
  bench corpus-10k 2 \
    -n cat "find $c10k -type f -exec cat {} + > /dev/null" \
    -n intransit "$bin check $c10k --format json -o /dev/null" \
    -n checkov "$checkov -d $c10k --check CKV2_AWS_69 --quiet --compact > /dev/null" \
    -n cfn-lint "$cfnlint '$c10k/cfn-*/*' > /dev/null"
else
  bench corpus-10k 5 \
    -n cat "find $c10k -type f -exec cat {} + > /dev/null" \
    -n intransit "$bin check $c10k --format json -o /dev/null"
fi

# The report formats side by side (the human report reads each file with a finding again for
# its snippets), on 10k files and, with CORPUS_100K=1, on 100,000 (2.6 GB: generated once, a
# few minutes; a run takes seconds once the files are in the page cache).
formats=(10k)
if [ "${CORPUS_100K:-0}" = 1 ]; then
  [ -f "$out/corpus-100k/truth.tsv" ] || target/release/examples/gen_corpus 100000 "$out/corpus-100k"
  formats+=(100k)
fi
: > "$out/results/peak-formats.txt"
for name in "${formats[@]}"; do
  c=$PWD/$out/corpus-$name
  runs=5; [ "$name" = 100k ] && runs=3
  bench "formats-$name" "$runs" \
    -n cat "find $c/ -type f -exec cat {} + > /dev/null" \
    -n json "$bin check $c --format json -o /dev/null" \
    -n sarif "$bin check $c --format sarif -o /dev/null" \
    -n human "$bin check $c --format human -o /dev/null"
  for format in json sarif human; do
    echo "formats-$name $format $(/usr/bin/time -f "%M" "$bin" check "$c" --format "$format" -o /dev/null 2>&1 >/dev/null | tail -n 1)" >> "$out/results/peak-formats.txt"
  done
done

# Instructions, counted by callgrind (the same on every run, whatever else the machine is
# doing): the human report's cost over JSON's on 1k files, without a shared machine's noise.
# Kernel work (reads, writes) is not counted.
: > "$out/results/instructions.txt"
if command -v valgrind >/dev/null; then
  for format in json human; do
    count=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" check "$c1k" \
      --format "$format" -o /dev/null 2>&1 | sed -n 's/.*Collected : //p')
    echo "corpus-1k $format $count" >> "$out/results/instructions.txt"
  done
fi

echo "== peak memory (/usr/bin/time)"
peak() { /usr/bin/time -f "%M" "$@" 2>&1 >/dev/null | tail -n 1; }
{
  echo "single intransit $(peak "$bin" check "$single")"
  echo "single checkov $(peak "$checkov" -f "$single" --check CKV2_AWS_69 --quiet --compact)"
  echo "single cfn-lint $(peak "$cfnlint" "$single")"
  echo "corpus-1k intransit $(peak "$bin" check "$c1k" --format json -o /dev/null)"
  if [ "${PEAK_OF_PEERS:-0}" = 1 ]; then  # another run of each peer: several more minutes
    echo "corpus-1k checkov $(peak "$checkov" -d "$c1k" --check CKV2_AWS_69 --quiet --compact)"
    echo "corpus-1k cfn-lint $(peak sh -c "$cfnlint '$c1k/cfn-*/*'")"
  fi
  echo "corpus-10k intransit $(peak "$bin" check "$c10k" --format json -o /dev/null)"
} > "$out/results/peak.txt"

python3 bench/summary.py "$out"
