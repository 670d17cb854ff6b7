# SPDX-License-Identifier: MIT
# Shell helpers for reading snvmm's --stats-json and `perf stat -x,` output without python (the
# rig's L1 has only busybox). Sourced by tests/guests/run.sh and tests/e2e/perf.sh; POSIX sh.

# json_flat FILE: one "dotted.path=value" line per number or string in snvmm's --stats-json.
# It relies on the writer's layout (vmm/stats.c): one key per line, "{" ends a group's line
# and "}" starts the line that closes it. Strings lose their quotes.
json_flat() {
	awk '
	{
		line = $0
		sub(/^[ \t]+/, "", line)
		sub(/[ \t,]+$/, "", line)
	}
	line ~ /^"[^"]*": [{]$/ {
		k = line
		sub(/^"/, "", k)
		sub(/": [{]$/, "", k)
		path[++d] = k
		next
	}
	line ~ /^[}]/ { d--; next }
	line ~ /^"[^"]*": / {
		k = line
		sub(/^"/, "", k)
		sub(/": .*$/, "", k)
		v = line
		sub(/^"[^"]*": /, "", v)
		gsub(/"/, "", v)
		p = ""
		for (i = 1; i <= d; i++)
			p = p path[i] "."
		print p k "=" v
	}' "$1"
}

# json_get FLAT PATH: the value at PATH in json_flat's output FLAT (empty if absent).
json_get() {
	awk -v k="$2" 'index($0, k "=") == 1 { print substr($0, length(k) + 2); exit }' "$1"
}

# json_sum FLAT REGEX: the sum of every value whose path matches REGEX (awk ERE).
json_sum() {
	awk -v re="$2" '{ i = index($0, "="); if (substr($0, 1, i - 1) ~ re) s += substr($0, i + 1) }
		END { printf "%d\n", s }' "$1"
}

# perf_get FILE EVENT: the count perf stat -x, wrote for EVENT (empty if absent or not counted).
perf_get() {
	awk -F, -v e="$2" '$3 == e && $1 ~ /^[0-9]+$/ { print $1; exit }' "$1"
}

# check_pairs FLAT "path=value path>=number ..." [LABEL]: prints one "want ... got ..." line per
# mismatch and returns 1 if there was any.
check_pairs() {
	_flat=$1
	_bad=0
	for _pair in $2; do
		case $_pair in
		*'>='*) _key=${_pair%%>=*} _want=${_pair#*>=} _op='>=' ;;
		*) _key=${_pair%%=*} _want=${_pair#*=} _op='=' ;;
		esac
		_got=$(json_get "$_flat" "$_key")
		if [ "$_op" = '>=' ]; then
			case $_got in
			'' | *[!0-9]*) _ok= ;;
			*) _ok=$([ "$_got" -ge "$_want" ] && echo 1) ;;
			esac
		else
			_ok=$([ "$_got" = "$_want" ] && echo 1)
		fi
		if [ -z "$_ok" ]; then
			echo "    ${3:-json}: $_key is '${_got}', want $_op $_want"
			_bad=1
		fi
	done
	return $_bad
}
