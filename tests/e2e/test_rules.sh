#!/usr/bin/env bash
# doc/prometheus/pping.rules.yml, the recording and alerting rules shipped
# for pping's --metrics page: promtool accepts them; every metric they name
# is one pping exports (user/metrics.c); every alert has a `for:`, a
# severity and annotations naming the instance (and the subnet for a
# per-subnet alert); promtool's unit tests (pping.rules.test.yml) pass, as a
# file and group by group; and the tests have teeth: rules broken on
# purpose (an alert that never fires, an alert without its `for:`, a guard
# removed) must fail them. Needs promtool (package prometheus), no BPF, no
# namespaces, no root; a few seconds.
#
# The files are read with awk, so they keep the layout they have: alerts
# as "      - alert: NAME" with "        expr:", "        for:" at 8
# spaces; test groups starting "  - name: ..." after a line "tests:".
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/check.sh

RULES=doc/prometheus/pping.rules.yml
TESTS=doc/prometheus/pping.rules.test.yml

# A missing tool is a failure, not a skip: make deps installs them.
need_tools rules promtool awk || summary
for f in "$RULES" "$TESTS"; do
	[ -f "$f" ] || { fail rules "$f is missing"; summary; }
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/pp$$-rules.XXXXXX")
trap 'rm -rf "$dir"' EXIT

# run_tests DIR: promtool's unit tests of DIR/pping.rules.test.yml against
# DIR/pping.rules.yml; output in DIR/out.
run_tests() {
	(cd "$1" && promtool test rules pping.rules.test.yml) >"$1/out" 2>&1
}

# --- promtool check rules ---
if out=$(promtool check rules "$RULES" 2>&1); then
	pass "rules_check ($(grep -o '[0-9]* rules found' <<<"$out"))"
else
	fail rules_check "$(tr '\n' ' ' <<<"$out")"
fi

# --- every pping_* metric the rules name is exported ---
# Names in the rules file outside comments, except inside recording-rule
# names (level:metric:operations); a histogram's _bucket, _count and _sum
# are its family's.
exported=$(grep -o '"pping_[a-z_]*"' user/metrics.c | tr -d '"' | sort -u)
used=$(grep -v '^[[:space:]]*#' "$RULES" |
	grep -oE '(^|[^:a-z_])pping_[a-z_]+' | sed 's/^[^p]*//' | sort -u)
unknown=
for m in $used; do
	base=$m
	case $m in *_bucket | *_count | *_sum) base=${m%_*} ;; esac
	grep -qx -- "$base" <<<"$exported" || grep -qx -- "$m" <<<"$exported" ||
		unknown+=" $m"
done
if [ -z "$used" ]; then
	fail rules_metrics_exported "no pping_* metric found in $RULES"
elif [ -z "$unknown" ]; then
	pass "rules_metrics_exported ($(wc -w <<<"$used") names)"
else
	fail rules_metrics_exported "not in user/metrics.c:$unknown"
fi

# --- each alert: for, severity, summary and description ---
alerts=$(awk '/^      - alert: /{ print $3 }' "$RULES")
[ -n "$alerts" ] || fail rules_alerts "no alert found in $RULES"
# block NAME: the lines of alert NAME, up to the next rule.
block() {
	awk -v n="$1" '/^      - (alert|record): /{ on = ($2 == "alert:" && $3 == n) }
		/^  - name: /{ on = 0 } on' "$RULES"
}
for a in $alerts; do
	b=$(block "$a")
	why=
	grep -qE '^        for: [0-9]+[smhd]' <<<"$b" || why+=" no for:"
	grep -qE '^          severity: (critical|warning)$' <<<"$b" ||
		why+=" no severity: critical|warning"
	for k in summary description; do
		line=$(grep -E "^          $k: " <<<"$b")
		[ -n "$line" ] || { why+=" no $k"; continue; }
		grep -q '\$labels.instance' <<<"$line" || why+=" $k does not name the instance"
		# A rule that keeps the subnet label must name it.
		if grep -q 'subnet:pping_\|by (.*subnet' <<<"$b" &&
			! grep -q '\$labels.subnet' <<<"$line"; then
			why+=" $k does not name the subnet"
		fi
	done
	if [ -z "$why" ]; then
		pass "rules_alert[$a] (for, severity, summary, description)"
	else
		fail "rules_alert[$a]" "${why# }"
	fi
done

# --- promtool test rules, the whole file ---
if out=$(cd "$(dirname "$TESTS")" && promtool test rules "$(basename "$TESTS")" 2>&1); then
	pass rules_test
else
	fail rules_test "$(tr -s '\n ' ' ' <<<"$out" | cut -c1-2000)"
fi

# --- each test group alone: one line per group ---
mkdir -p "$dir/groups"
awk -v d="$dir/groups" '
	!t { head = head $0 "\n"; if ($0 == "tests:") t = 1; next }
	/^  - name: / { n++; f = sprintf("%s/%02d.yml", d, n); printf "%s", head > f
		name = $0; sub(/^  - name: /, "", name); print name > (f ".name") }
	n { print > f }' "$TESTS"
groups=0
for g in "$dir"/groups/*.yml; do
	[ -f "$g" ] || continue
	groups=$((groups + 1))
	name=$(cat "$g.name")
	gd=$dir/g$groups
	mkdir -p "$gd"
	cp "$RULES" "$gd/pping.rules.yml"
	cp "$g" "$gd/pping.rules.test.yml"
	if run_tests "$gd"; then
		pass "rules_test[$name]"
	else
		fail "rules_test[$name]" "$(tr -s '\n ' ' ' <"$gd/out" | cut -c1-1500)"
	fi
done
[ "$groups" -gt 0 ] || fail rules_test_groups "no test group found in $TESTS"

# --- mutants: rules broken on purpose must fail the tests ---
# mutant NAME WHAT: DIR/pping.rules.yml, written by the caller from
# $RULES, must differ from it and must fail the unit tests.
mutant() {
	local name=$1 what=$2 md=$3
	cp "$TESTS" "$md/pping.rules.test.yml"
	if cmp -s "$RULES" "$md/pping.rules.yml"; then
		fail "rules_mutant[$name]" "the mutation did not apply ($what): update this test"
	elif ! promtool check rules "$md/pping.rules.yml" >/dev/null 2>&1; then
		# It would fail the tests for the wrong reason.
		fail "rules_mutant[$name]" "the mutant is not a valid rules file ($what): update this test"
	elif run_tests "$md"; then
		fail "rules_mutant[$name]" "the tests still pass with $what"
	else
		pass "rules_mutant[$name] caught: $what"
	fi
}
m=0
for a in $alerts; do
	# The alert never fires: some test must expect it to.
	m=$((m + 1)); mkdir -p "$dir/m$m"
	awk -v n="$a" '/^      - (alert|record): /{ on = ($2 == "alert:" && $3 == n) }
		/^  - name: /{ on = 0 }
		on && /^        expr:/ { print "        expr: vector(1) == 0"; skip = 1; next }
		skip && /^          / { next }
		{ skip = 0; print }' "$RULES" >"$dir/m$m/pping.rules.yml"
	mutant "$a never fires" "$a never firing" "$dir/m$m"
	# No for: some test must see it held back while pending.
	m=$((m + 1)); mkdir -p "$dir/m$m"
	awk -v n="$a" '/^      - (alert|record): /{ on = ($2 == "alert:" && $3 == n) }
		/^  - name: /{ on = 0 }
		on && /^        for:/ { next } { print }' "$RULES" >"$dir/m$m/pping.rules.yml"
	mutant "$a without for" "$a firing as soon as its condition holds" "$dir/m$m"
done
# Each guard of a rule, removed or loosened: the quiet cases of the tests
# must notice. SED is applied to the rules file.
guards=(
	'bufferbloat threshold|s/p95_5m > 0\.030/p95_5m > 0.005/|a 5 ms queueing delay threshold'
	'bufferbloat sample floor|s/_count\[5m\])) >= 0\.1/_count[5m])) >= 0/|no floor on samples per second'
	'cleanup off|/and on (job, instance) pping_cleanup_interval_seconds > 0/d|cleanup off (-c 0) not excluded'
	'cleanup rate|s/pping_cleanup_interval_seconds < 0\.9/pping_cleanup_interval_seconds < 2/|twice the passes the interval asks for expected'
	'cleanup interval|s/ \* on (job, instance) pping_cleanup_interval_seconds < 0\.9/ < 0.9/|the configured interval ignored (1s assumed)'
	'coverage threshold|s/) < 0\.2$/) < 0.6/|coverage alerting at 60 % of the baseline'
	'coverage TCP floor|s/protocol="tcp"}\[5m\])) > 100$/protocol="tcp"}[5m])) > 0/|no floor on TCP packets per second'
	'coverage TCP only|s/pping_packets_total{protocol="tcp"}\[5m\])) > 100/pping_packets_total[5m])) > 100/|the TCP floor counting every packet'
	'coverage at level 0 only|s/(max_over_time(pping_degradation_level\[5m\])) == 0/(max_over_time(pping_degradation_level[5m])) >= 0/|the coverage ratio recorded while degraded'
	'degradation level 0|s/pping_degradation_level\[5m\]) > 0/pping_degradation_level[5m]) >= 0/|degradation alerting at level 0'
)
for g in "${guards[@]}"; do
	IFS='|' read -r name expr what <<<"$g"
	m=$((m + 1)); mkdir -p "$dir/m$m"
	sed "$expr" "$RULES" >"$dir/m$m/pping.rules.yml"
	mutant "$name" "$what" "$dir/m$m"
done

summary
