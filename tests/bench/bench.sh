#!/bin/sh
# make bench: every benchmark, each printing its figures.
set -e
python3 "$(dirname "$0")/bench.py" "$1"
python3 "$(dirname "$0")/bench_e2e.py" "$1"
