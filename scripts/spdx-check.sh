#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Every source, script, unit, man source and example names its license in an
# SPDX line near its top (LICENSE says which applies where).
cd "$(dirname "$0")/.." || exit 1
bad=0
for f in $(find agent bpf include tools tests scripts doc packaging examples .ci Makefile \
	-type f \( -name '*.[ch]' -o -name '*.sh' -o -name '*.py' -o -name 'Makefile' -o \
	-name '*.in' -o -name '*.scd' -o -name '*.yaml' -o -name '*-completion' -o -name run \) \
	-not -path 'tests/fuzz/corpus/*' | sort); do
	if ! head -n 3 "$f" | grep -q 'SPDX-License-Identifier: '; then
		echo "spdx-check: $f has no SPDX-License-Identifier line" >&2
		bad=1
	fi
done
for f in include/shoal/*.h; do
	head -n 1 "$f" | grep -q '(GPL-2.0-only OR BSD-2-Clause)' ||
		{ echo "spdx-check: $f: shared headers are (GPL-2.0-only OR BSD-2-Clause)" >&2; bad=1; }
done
exit $bad
