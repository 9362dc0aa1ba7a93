#!/bin/bash
# Running at scale: wall time, peak memory (max RSS) and bytes spilled of `erosion features` and
# raw-mode `erosion-score` on simulated data, in memory and spilled to partitions on disk.
# Results go to benches/scale/RESULTS.md by hand (BENCHMARKS.md includes that file).
#
# usage: benches/scale/run.sh BIN_DIR MODEL DATA_DIR OUT_DIR LABEL [extra flags...]
#   BIN_DIR   holds release builds of `erosion` and `erosion-score`
#   MODEL     a bundle from `erosion train` (the scoring section's GBDT)
#   DATA_DIR  `erosion simulate --n-customers N --seed 7 --out DATA_DIR` (730 days)
#   OUT_DIR   scratch space for the outputs and the spill (emptied after each run)
# e.g. benches/scale/run.sh target/release model.json /data/sim10M /scratch 10M
#      benches/scale/run.sh target/release model.json /data/sim1M /scratch 1M_mem --spill-partitions 1
set -u
bin=$1 model=$2 data=$3 out=$4 label=$5
shift 5
mkdir -p "$out"
measure() {
  local name=$1; shift
  local log="$out/$name.time"
  local load; load=$(cut -d' ' -f1-3 /proc/loadavg)
  EROSION_TIMINGS=1 /usr/bin/time -v "$@" > /dev/null 2> "$log"
  local rc=$?
  printf '%s rc=%s wall=%s max_rss_kb=%s user_s=%s sys_s=%s %s load_before=%s load_after=%s %s\n' \
    "$name" "$rc" \
    "$(grep 'Elapsed (wall clock)' "$log" | awk '{print $NF}')" \
    "$(grep 'Maximum resident set size' "$log" | awk '{print $NF}')" \
    "$(grep 'User time' "$log" | awk '{print $NF}')" \
    "$(grep 'System time' "$log" | awk '{print $NF}')" \
    "$(grep -o 'partitions, [0-9]* bytes' "$log" | head -1)" \
    "$load" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(date -u '+%Y-%m-%d %H:%M UTC')"
}
measure "features_$label" "$bin/erosion" features --events "$data/events.parquet" \
  --customers "$data/customers.parquet" --as-of 2025-10-01 --out "$out/features.parquet" -q "$@"
rm -f "$out/features.parquet"
measure "score_raw_$label" "$bin/erosion-score" --model "$model" --events "$data/events.parquet" \
  --customers "$data/customers.parquet" --as-of 2025-10-01 --out "$out/scores.parquet" -q "$@"
rm -f "$out"/scores*
