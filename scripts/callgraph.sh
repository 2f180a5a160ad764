#!/bin/sh
# The call graph among the files of supervisor/run (docs/ARCHITECTURE.md,
# "Module map"): an edge A -> B when A.c calls a non-static sup_*
# function that B.c defines. The files of one multi-file module
# (approval*, attest*, decode*, emulate*, filter*, tty*, and the shim's
# sockets shimgate/shimrecv) count as one node. Prints every cycle and
# exits 1 if there is one: the core (loop, notify, pipeline, decide,
# record, respond, human, shimloop, proc) must call in one direction.
# Usage: scripts/callgraph.sh [DIR] [-v]   (-v: print the edges too)
set -u
dir=${1:-supervisor/run}
verbose=${2:-}
for f in "$dir"/*.c; do
	b=$(basename "$f" .c)
	case $b in
	shimgate|shimrecv) m=shimsock ;;
	approval*|attest*|decode*|emulate*|filter*|tty*) m=${b%%_*} ;;
	*) m=$b ;;
	esac
	sed -e 's|"\([^"\\]\|\\.\)*"|""|g' "$f" | awk -v m="$m" '
		# drop comments (block and line)
		{
			line = $0; out = ""
			while (line != "") {
				if (inc) {
					e = index(line, "*/")
					if (!e) { line = ""; break }
					line = substr(line, e + 2); inc = 0
				} else {
					s = index(line, "/*"); d = index(line, "//")
					if (d && (!s || d < s)) { out = out substr(line, 1, d - 1); line = "" }
					else if (s) { out = out substr(line, 1, s - 1); line = substr(line, s + 2); inc = 1 }
					else { out = out line; line = "" }
				}
			}
			$0 = out
		}
		/^[a-z].*[ *]sup_[a-z0-9_]+\(/ && !/^static/ && !/;[ \t]*$/ {
			s = $0; sub(/\(.*/, "", s); n = split(s, w, /[ *]+/); print "D", m, w[n]
		}
		{
			s = $0
			while (match(s, /sup_[a-z0-9_]+[ \t]*\(/)) {
				name = substr(s, RSTART, RLENGTH); sub(/[ \t]*\($/, "", name)
				print "U", m, name; s = substr(s, RSTART + RLENGTH)
			}
		}'
done | awk -v verbose="$verbose" '
$1 == "D" { def[$3] = $2 }
$1 == "U" { n++; uf[n] = $2; us[n] = $3 }
function visit(v,   i, w, k, path) {
	state[v] = 1; stack[++sp] = v
	for (i = 1; i <= ne[v]; i++) {
		w = adj[v, i]
		if (state[w] == 1) {
			path = w
			for (k = sp; k >= 1 && stack[k] != w; k--) path = stack[k] " -> " path
			print "  " w " -> " path
			found = 1
		} else if (!state[w]) visit(w)
	}
	sp--; state[v] = 2
}
END {
	for (i = 1; i <= n; i++) {
		a = uf[i]; b = def[us[i]]
		if (b == "" || b == a || seen[a, b]++) continue
		adj[a, ++ne[a]] = b; nodes[a] = 1
		if (verbose == "-v") print a " -> " b
	}
	for (v in nodes) if (!state[v]) visit(v)
	exit found
}'
