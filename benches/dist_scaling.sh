#!/usr/bin/env bash
# Steps per second of data-parallel training against one process, in one
# interleaved run: the wide net (global batch 512) and SimpleConvNet
# (global batch 200), one thread per rank, against the ordinary step on
# 1 and on as many threads as ranks. Rank counts from the arguments
# (default: 1 2); rounds from ROUNDS (default 3). Prints every round's
# lines; take the medians.
#
#   cargo build --release --features mpi --example dist_bench
#   bash benches/dist_scaling.sh 1 2
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/examples/dist_bench
ranks=("${@:-1 2}")
[ $# -eq 0 ] && ranks=(1 2)
rounds=${ROUNDS:-3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
lscpu | grep -E "Model name|^CPU\(s\)"
for round in $(seq "$rounds"); do
  echo "round $round"
  for net in wide cnn; do
    for np in "${ranks[@]}"; do
      RAYON_NUM_THREADS=$np "$bin" --net "$net" --plain
      groups=$(( np > 6 ? np : 6 ))
      mpirun --oversubscribe --bind-to none -np "$np" -x RAYON_NUM_THREADS=1 \
        "$bin" --net "$net" --groups "$groups"
      if [ "$np" -gt 1 ] && [ "$np" -ne "$groups" ]; then
        mpirun --oversubscribe --bind-to none -np "$np" -x RAYON_NUM_THREADS=1 \
          "$bin" --net "$net" --groups "$np"
      fi
    done
  done
done
