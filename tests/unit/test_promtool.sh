#!/usr/bin/env bash
# test_promtool.sh - the promtool lint of our Prometheus text, as a check for tests/run.sh.
exec "$(dirname "$0")/promtool_check.sh" "$@"
