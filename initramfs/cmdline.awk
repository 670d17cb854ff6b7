# SPDX-License-Identifier: MIT
# Prints the value of kernel parameter `name` (awk -v name=...) from the command line on its
# input (/proc/cmdline), split as Linux itself splits it (next_arg, lib/cmdline.c), so that
# init reads snvmm.run= as the kernel would: a space ends a parameter only outside double
# quotes; quotes around the value ("snvmm.run=\"a b\"") or around the whole parameter
# ("\"snvmm.run=a b\"") are dropped; "--" ends the kernel's part (the rest is init's). The
# last occurrence wins. Exits 1, printing nothing, when the parameter is absent; an empty
# value ("snvmm.run=") is present.
# The kernel's isspace(): its ctype table counts Latin-1's no-break space (0xa0) too.
function space(c) {
	return c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\v" || c == "\f" || c == "\240"
}
# Lines joined as they were: a newline inside quotes belongs to the value.
{ s = s (NR > 1 ? "\n" : "") $0 }
END {
	n = length(s)
	i = 1
	found = 0
	while (i <= n) {
		while (i <= n && space(substr(s, i, 1)))
			i++
		if (i > n)
			break
		quoted = inq = 0
		if (substr(s, i, 1) == "\"") {
			quoted = inq = 1
			i++
		}
		start = i
		eq = 0
		for (; i <= n; i++) {
			c = substr(s, i, 1)
			if (!inq && space(c))
				break
			# An "=" in the first place does not split (Linux's equals == 0 test).
			if (!eq && c == "=" && i > start)
				eq = i
			if (c == "\"")
				inq = !inq
		}
		last = i - 1
		stripped = 0
		if (eq && eq + 1 <= last && substr(s, eq + 1, 1) == "\"") {
			vstart = eq + 2
			if (substr(s, last, 1) == "\"") {
				last--
				stripped = 1
			}
		} else {
			vstart = eq + 1
		}
		if (quoted && !stripped && last >= start && substr(s, last, 1) == "\"")
			last--
		if (!eq) {
			if (substr(s, start, last - start + 1) == "--")
				break
			continue
		}
		if (substr(s, start, eq - start) == name) {
			found = 1
			v = substr(s, vstart, last - vstart + 1)
		}
	}
	if (found)
		print v
	exit !found
}
