#!/bin/sh
# make bench: every benchmark, each printing its figures.
# $1: the vpcflowd binary; $2: the directory of the C benchmarks.
set -e
python3 "$(dirname "$0")/bench.py" "$1"
"$2/bench_cwl"
"$2/bench_ship"
python3 "$(dirname "$0")/bench_e2e.py" "$1"
