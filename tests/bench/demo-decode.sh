#!/bin/sh
# The current demo: decode generated flow records (with an S3-style header line)
# into the documents vpcflowd ships, and show a few of them.
set -e
bin=$1
gen="$(dirname "$0")/gen_flows.py"
echo "== 5 raw VPC flow log records (AWS default format, with header line):"
python3 "$gen" --count 5 --header --seed 7
echo
echo "== the documents vpcflowd would ship to Logz.io (style logzio):"
python3 "$gen" --count 5 --header --seed 7 | "$bin" --decode
echo
echo "== one record in style ecs:"
python3 "$gen" --count 1 --seed 7 | "$bin" --decode --style ecs | python3 -m json.tool
echo
echo "== 100000 records:"
python3 "$gen" --count 100000 --header --seed 7 | "$bin" --decode -v | wc -l
