#!/usr/bin/env bash
# test_alerts.sh - checks dashboards/alerts.yml, as a check for tests/run.sh:
#   promtool check rules dashboards/alerts.yml       (syntax, PromQL, templates)
#   promtool test rules dashboards/alerts_test.yml   (unit tests with synthetic series)
#   every runbook_url anchor is a heading of docs/runbooks.md (GitHub's anchor of that heading).
# Exit 0 clean, 1 on a problem, 77 (skip) when promtool is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
promtool=${PROMTOOL:-promtool}
rules=dashboards/alerts.yml

if ! command -v "$promtool" >/dev/null; then
	echo "test_alerts: $promtool not found (Debian package prometheus)"
	exit 77
fi

rc=0
"$promtool" check rules "$rules" || { echo "test_alerts: promtool check rules failed" >&2; rc=1; }
"$promtool" test rules dashboards/alerts_test.yml || { echo "test_alerts: promtool test rules failed" >&2; rc=1; }

# GitHub's heading anchors (headings outside ``` blocks): lower case, punctuation other than - and _ dropped, spaces -> -.
anchors=$(awk '/^```/ { code = !code; next } !code && sub(/^#+ +/, "")' docs/runbooks.md | tr '[:upper:]' '[:lower:]' | sed -E 's/[^a-z0-9 _-]//g; s/ /-/g')
urls=$(sed -nE 's/^[[:space:]]*runbook_url:[[:space:]]*//p' "$rules")
[ -n "$urls" ] || { echo "test_alerts: no runbook_url in $rules" >&2; rc=1; }
for url in $urls; do
	case $url in
	https://github.com/cgoscope/cgoscope/blob/main/docs/runbooks.md#*) ;;
	*) echo "test_alerts: runbook_url $url does not point into docs/runbooks.md" >&2; rc=1; continue ;;
	esac
	grep -qxF "${url#*#}" <<<"$anchors" || {
		echo "test_alerts: runbook_url $url: docs/runbooks.md has no heading with anchor #${url#*#}" >&2
		rc=1
	}
done
# Every alert has a runbook_url, a severity and for:.
n_alerts=$(grep -cE '^[[:space:]]*- alert:' "$rules")
for key in 'runbook_url:' 'severity:' 'for:' 'summary:' 'description:'; do
	n=$(grep -cE "^[[:space:]]*$key" "$rules")
	[ "$n" -eq "$n_alerts" ] || { echo "test_alerts: $n_alerts alerts but $n $key" >&2; rc=1; }
done

[ "$rc" -eq 0 ] && echo "test_alerts: OK ($n_alerts alerts)"
exit "$rc"
