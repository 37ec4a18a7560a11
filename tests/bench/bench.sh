#!/bin/sh
# make bench: every benchmark, each printing its figures.
set -e
python3 "$(dirname "$0")/bench.py" "$1"
