#!/usr/bin/env bash
# test_dashboard.sh - render check of dashboards/cgoscope.json, as a check for tests/run.sh.
#
# Every PromQL expression of the dashboard (panel targets, and the series selectors of the
# label_values() variable queries), with Grafana's variables substituted ($__rate_interval ->
# 5m, $__interval -> 1m, $__range -> 1h, any other $var / ${var} -> .*), must
#   - parse: they are written as recording rules into a temporary file for `promtool check rules`;
#   - name only metrics that exist: every cgoscope_* identifier (outside string literals) is a
#     family of the agent's Prometheus text (the "# TYPE" lines of prom_dump, built by
#     `make unit`; _bucket/_sum/_count for histograms) or a recording rule of dashboards/alerts.yml.
# Also: the stable uid, a $datasource variable of type prometheus that every query uses, and
# [$__rate_interval] as the only range in the dashboard's queries.
# Exit 0 clean, 1 on a problem, 77 (skip) when jq, promtool or prom_dump is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
dash=${DASHBOARD:-dashboards/cgoscope.json}
rules=dashboards/alerts.yml
dump=${PROM_DUMP:-${OUTPUT:-.output}/unit/prom_dump}
promtool=${PROMTOOL:-promtool}

for tool in jq "$promtool"; do
	if ! command -v "$tool" >/dev/null; then
		echo "test_dashboard: $tool not found (make deps installs it)"
		exit 77
	fi
done
if [ ! -x "$dump" ]; then
	echo "test_dashboard: $dump not built (run: make unit)"
	exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
problems=0
problem() {
	echo "test_dashboard: $*" >&2
	problems=$((problems + 1))
}

# Structure.
jq -e . "$dash" >/dev/null || { echo "test_dashboard: $dash is not valid JSON" >&2; exit 1; }
[ "$(jq -r .uid "$dash")" = cgoscope-overview ] || problem "uid is not cgoscope-overview"
jq -e '.templating.list[] | select(.name == "datasource" and .type == "datasource" and .query == "prometheus")' \
	"$dash" >/dev/null || problem "no \$datasource variable of type prometheus"
for v in job instance exe; do
	jq -e --arg v "$v" '.templating.list[] | select(.name == $v and .type == "query")' "$dash" >/dev/null ||
		problem "no \$$v query variable"
done
# Every data source reference (panels, targets, variables) is the $datasource variable.
jq -r '.. | objects | select(has("datasource")) | .datasource | objects | select(.type == "prometheus") | .uid' "$dash" |
	grep -vx '${datasource}' | sed 's/^/datasource uid not ${datasource}: /' >"$tmp/ds" || true
[ -s "$tmp/ds" ] && problem "$(cat "$tmp/ds")"

# The expressions, one JSON string per line: panel targets, then variable selectors
# (label_values(SELECTOR, label) -> SELECTOR; label_values(label) has none).
{
	jq -r '.. | objects | select(has("expr")) | .expr | @json' "$dash"
	jq -r '.templating.list[] | select(.type == "query") | .query | (if type == "object" then .query else . end)
		| capture("^label_values\\((?<sel>.*),\\s*[A-Za-z_][A-Za-z0-9_]*\\)$").sel | @json' "$dash"
} >"$tmp/raw.json"
n=$(wc -l <"$tmp/raw.json")
[ "$n" -gt 0 ] || { echo "test_dashboard: no expressions found in $dash" >&2; exit 1; }

# Ranges: only [$__rate_interval].
jq -r . "$tmp/raw.json" | grep -oE '\[[^]]*\]' | grep -vxF '[$__rate_interval]' >"$tmp/ranges" || true
[ -s "$tmp/ranges" ] && problem "ranges other than [\$__rate_interval]: $(sort -u "$tmp/ranges" | tr '\n' ' ')"

sed -E -e 's/\$\{?__rate_interval\}?/5m/g' -e 's/\$\{?__interval\}?/1m/g' -e 's/\$\{?__range\}?/1h/g' \
	-e 's/\$\{[A-Za-z_][A-Za-z0-9_]*(:[A-Za-z]+)?\}/.*/g' -e 's/\$[A-Za-z_][A-Za-z0-9_]*/.*/g' \
	"$tmp/raw.json" >"$tmp/exprs.json"

# Parse: each expression as a recording rule (a JSON string is a YAML double-quoted scalar).
{
	echo "groups:"
	echo "  - name: dashboard_render_check"
	echo "    rules:"
	i=0
	while IFS= read -r e; do
		i=$((i + 1))
		echo "      - record: dashboard:expr_$i:check"
		echo "        expr: $e"
	done <"$tmp/exprs.json"
} >"$tmp/rules.yml"
if ! out=$("$promtool" check rules "$tmp/rules.yml" 2>&1); then
	problem "an expression does not parse:"
	echo "$out" >&2
	jq -r . "$tmp/exprs.json" | nl -ba >&2
fi

# Metric names: what the agent exports, plus the recording rules.
"$dump" | awk '$1 == "#" && $2 == "TYPE" {
	print $3
	if ($4 == "histogram") { print $3 "_bucket"; print $3 "_sum"; print $3 "_count" }
}' >"$tmp/known"
[ -s "$tmp/known" ] || { echo "test_dashboard: no # TYPE lines from $dump" >&2; exit 1; }
sed -nE 's/^[[:space:]]*-?[[:space:]]*record:[[:space:]]*([^[:space:]#]+).*/\1/p' "$rules" >>"$tmp/known"
# Identifiers outside string literals that contain "cgoscope_".
jq -r . "$tmp/exprs.json" | sed -E -e 's/"([^"\\]|\\.)*"//g' -e "s/'([^'\\\\]|\\\\.)*'//g" -e 's/`[^`]*`//g' |
	grep -oE '[A-Za-z_:][A-Za-z0-9_:]*' | grep 'cgoscope_' | sort -u >"$tmp/used" || true
[ -s "$tmp/used" ] || problem "no cgoscope metric referenced at all"
while IFS= read -r m; do
	grep -qxF "$m" "$tmp/known" || problem "unknown metric $m (not in $dump's # TYPE lines nor a record: of $rules)"
done <"$tmp/used"

if [ "$problems" -gt 0 ]; then
	echo "test_dashboard: FAIL ($problems problem(s))" >&2
	exit 1
fi
echo "test_dashboard: OK ($n expressions, $(wc -l <"$tmp/used") metric names)"
