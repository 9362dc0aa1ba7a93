#!/bin/bash
# Running at scale: wall time, user CPU, peak memory (max RSS) and bytes spilled of `erosion
# features` and raw-mode `erosion-score` on simulated data, held in memory and spilled to ranges
# on disk, and of `erosion-score --partition I/4`. One line per run in OUT/results.txt, each
# run's stderr (EROSION_TIMINGS=1 stage timings and /usr/bin/time -v) in OUT/<run>.log.
# Results go to benches/scale/RESULTS.md by hand (BENCHMARKS.md includes that file).
#
# usage: benches/scale/run.sh BIN_DIR MODEL DATA_ROOT OUT STEP...
#   BIN_DIR    release builds of `erosion` and `erosion-score`
#   MODEL      a bundle from `erosion train` (the scoring section's GBDT)
#   DATA_ROOT  holds sim1M/, sim3M/, sim10M/ (`erosion simulate --n-customers N --seed 7
#              --out DATA_ROOT/simN`, 730 days: ordered by customer, as the simulator writes)
#              and sim1M_bytime/ (sim1M's events sorted by timestamp, as real logs are:
#              polars `sort("timestamp", maintain_order=True)`, row groups of 65,536 rows,
#              and sim1M's customers.parquet)
#   OUT        scratch space for the outputs and the spill (several GB at 10M)
#   STEP       1M (in memory and 2 ranges, both commands), part (--partition I/4, I = 0..3),
#              time (the time-ordered 1M file, features in memory and 2 ranges), 3M, 10M
# e.g. benches/scale/run.sh target/release model.json /data /scratch 1M part time 3M 10M
set -u
bin=$1 model=$2 root=$3 out=$4
shift 4
mkdir -p "$out"
measure() { # label cmd...
  local label=$1; shift
  local log="$out/$label.log" load
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  EROSION_TIMINGS=1 /usr/bin/time -v "$@" > /dev/null 2> "$log"
  local rc=$?
  echo "$label rc=$rc wall=$(grep 'Elapsed (wall' "$log" | awk '{print $NF}')" \
    "user=$(grep 'User time' "$log" | awk '{print $NF}')" \
    "sys=$(grep 'System time' "$log" | awk '{print $NF}')" \
    "rss_kb=$(grep 'Maximum resident' "$log" | awk '{print $NF}')" \
    "spilled=$(grep -o 'partitions, [0-9]* bytes' "$log" | head -1 | grep -o '[0-9]* bytes')" \
    "load=[$load -> $(cut -d' ' -f1-3 /proc/loadavg)] $(date -u '+%Y-%m-%d %H:%M UTC')" |
    tee -a "$out/results.txt"
}
features() { # label data_dir flags...
  local label=$1 d=$2; shift 2
  measure "f_$label" "$bin/erosion" features --events "$d/events.parquet" \
    --customers "$d/customers.parquet" --as-of 2025-10-01 --out "$out/f_$label.parquet" -q "$@"
}
score() { # label data_dir flags...
  local label=$1 d=$2; shift 2
  measure "s_$label" "$bin/erosion-score" --model "$model" --events "$d/events.parquet" \
    --customers "$d/customers.parquet" --as-of 2025-10-01 --out "$out/s_$label.parquet" -q "$@"
}
for step in "$@"; do
  case $step in
    1M) features 1M_mem "$root/sim1M" --spill-partitions 1
        features 1M_p2 "$root/sim1M" --spill-partitions 2
        score 1M_mem "$root/sim1M" --spill-partitions 1
        score 1M_p2 "$root/sim1M" --spill-partitions 2 ;;
    part) for i in 0 1 2 3; do score "1M_part${i}of4" "$root/sim1M" --partition "$i/4"; done ;;
    time) features 1Mt_mem "$root/sim1M_bytime" --spill-partitions 1
          features 1Mt_p2 "$root/sim1M_bytime" --spill-partitions 2 ;;
    3M) features 3M "$root/sim3M"; score 3M "$root/sim3M" ;;
    10M) cat "$root/sim10M/events.parquet" > /dev/null # in the page cache, as the smaller files are
         features 10M "$root/sim10M"; rm -f "$out/f_10M.parquet"
         score 10M "$root/sim10M"; rm -f "$out"/s_10M*.parquet ;;
    *) echo "unknown step $step" >&2; exit 2 ;;
  esac
done
