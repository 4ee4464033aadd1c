# shellcheck shell=bash
# RTT samples of pping and of a capture's ground truth (tests/tools/pcap_rtt)
# as lists of "EPOCH_NS RTT_NS FLOW" lines, and what the tests compute from
# them (sourced). FLOW is "REMOTE:PORT+LOCAL:PORT", named from the replying
# end as both pping and pcap_rtt name it.
#   json_samples JSONL PORT       pping's RTT records matched on arriving
#                                 packets, of connections with PORT at one end
#   sample_stats < RTT_NS lines   "N MEDIAN_MS P90_MS"
#   departures < samples          the same samples keyed by the identifier's
#                                 departure (EPOCH_NS - RTT_NS), in that order
#   pair_samples A B [WINDOW_NS]  "PAIRED A_ONLY B_ONLY MEAN_DIFF_US
#                                  MAX_ABS_DIFF_US MEDIAN_DIFF_US MIN_DIFF_US"

# Not jq: it holds numbers as doubles, which round epoch nanoseconds to
# 256 ns.
json_samples() {
	awk -v port="$2" 'function f(k,   r) {
		if (!match($0, "\"" k "\":(\"[^\"]*\"|[^,}]*)")) return ""
		r = substr($0, RSTART + length(k) + 3, RLENGTH - length(k) - 3)
		gsub(/"/, "", r)
		return r
	     }
	     f("rtt") != "" && f("match_on_egress") == "false" &&
	     (f("src_port") == port || f("dest_port") == port) {
		print f("timestamp"), f("rtt"), f("src_ip") ":" f("src_port") "+" f("dest_ip") ":" f("dest_port")
	     }' "$1"
}

# Median: mean of the middle two for an even count; p90: nearest rank, the
# ceil(0.9 N)-th. pping's and the capture's samples go through this same
# function.
sample_stats() {
	sort -g | awk '{ v[NR] = $1 / 1e6 }
		END {
			if (!NR) { print 0, "-", "-"; exit }
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			k = int((9 * NR + 9) / 10)
			printf "%d %.3f %.3f\n", NR, m, v[k]
		}'
}

# Two samples of one identifier, seen by pping and in a capture, left at
# the same moment (pping's egress hook and the capture's tap microseconds
# apart), but may complete far apart: on a loaded machine an arriving
# packet can wait milliseconds between the capture's stamp and the hook.
# %.0f: awk's numbers are doubles, exact to 256 ns at today's epoch.
departures() {
	awk '{ printf "%.0f %s %s\n", $1 - $2, $2, $3 }' | sort -n
}

# Both lists in time order. Pairs each sample of A, in turn, with the
# not yet paired sample of B of the same flow closest in time, within
# WINDOW_NS (default 1 ms: the hooks and the tap are microseconds apart,
# samples of a flow about a millisecond). Differences are A's RTT minus B's. Equal
# counts could still hide misses offset by duplicates; the unpaired ones
# on either side cannot.
pair_samples() {
	awk -v W="${3:-1000000}" 'FNR == NR { pt[NR] = $1; pr[NR] = $2; pf[NR] = $3; np = NR; next }
	     { ct[FNR] = $1; cr[FNR] = $2; cf[FNR] = $3; nc = FNR }
	     END {
		lo = 1
		for (i = 1; i <= np; i++) {
			while (lo <= nc && ct[lo] < pt[i] - W) lo++
			best = 0; bd = W + 1
			for (k = lo; k <= nc && ct[k] <= pt[i] + W; k++) {
				if (used[k] || cf[k] != pf[i]) continue
				d = pt[i] - ct[k]; if (d < 0) d = -d
				if (d < bd) { bd = d; best = k }
			}
			if (!best) { ponly++; continue }
			used[best] = 1; n++
			dr = pr[i] - cr[best]; diff[n] = dr; sum += dr
			if (n == 1 || dr < mn) mn = dr
			if (dr < 0) dr = -dr
			if (dr > mx) mx = dr
		}
		# The median difference: insertion sort, the lists are short.
		for (i = 2; i <= n; i++) {
			v = diff[i]
			for (j = i - 1; j >= 1 && diff[j] > v; j--) diff[j + 1] = diff[j]
			diff[j + 1] = v
		}
		md = !n ? 0 : (n % 2) ? diff[(n + 1) / 2] : (diff[n / 2] + diff[n / 2 + 1]) / 2
		printf "%d %d %d %.1f %.1f %.1f %.1f\n", n, ponly, nc - n,
			n ? sum / n / 1e3 : 0, mx / 1e3, md / 1e3, mn / 1e3
	     }' "$1" "$2"
}
