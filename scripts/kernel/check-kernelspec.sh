#!/usr/bin/env bash
# Does Jupyter (Debian's /usr/bin/python3) list the tslab kernel under JUPYTER_PATH=$1? Exit 0 yes, 1 no.
# The list is read whole before it is searched: `jupyter kernelspec list | grep -q tslab` under pipefail said "not
# listed" now and then (1 run in 10 here) although it was: grep -q exits at the first match, Jupyter then writes into
# a closed pipe and dies of BrokenPipeError, and pipefail reports that exit status.
set -euo pipefail
list="$(JUPYTER_PATH="$1" /usr/bin/python3 -m jupyter kernelspec list --json 2>/dev/null)" || exit 1
/usr/bin/python3 -c 'import json, sys; sys.exit(0 if "tslab" in json.load(sys.stdin)["kernelspecs"] else 1)' <<<"$list"
