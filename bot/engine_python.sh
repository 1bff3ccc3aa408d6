#!/usr/bin/env bash
# Print the path of a working Python 3.10 interpreter for the Rasa engine env
# (.venv-engine). Rasa 3.6 runs on Python 3.10 only.
#
# Looks, in order, at:
#   1. $PATHFINDER_PYTHON310, when set (then nothing else is tried);
#   2. python3.10 on PATH -- actually run, because a pyenv shim is on PATH even
#      when the selected pyenv version is not 3.10 and then fails;
#   3. pyenv: `pyenv prefix 3.10`, then $(pyenv root)/versions/3.10*/bin/python3.10
#      (without pyenv on PATH: ${PYENV_ROOT:-$HOME/.pyenv}/versions/3.10*);
#   4. python3.10 in $PATHFINDER_PY310_SYSTEM_DIRS (unset or blank: /usr/bin /usr/local/bin).
# A candidate counts only if it runs, is 3.10 and has venv + ensurepip.
# Exits 1 with an explanation on stderr when none works.
#
# Uses only bash builtins, so it behaves the same with a minimal PATH.
set -uo pipefail

HELP='Rasa 3.6 needs Python 3.10: install it with `pyenv install 3.10` or `apt-get install python3.10 python3.10-venv`, or set PATHFINDER_PYTHON310=/path/to/python3.10'

works() {
    [[ -n "$1" && -x "$1" ]] || return 1
    "$1" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1
}

found() {
    printf '%s\n' "$1"
    exit 0
}

if [[ -n "${PATHFINDER_PYTHON310:-}" ]]; then
    works "$PATHFINDER_PYTHON310" && found "$PATHFINDER_PYTHON310"
    echo "PATHFINDER_PYTHON310=$PATHFINDER_PYTHON310 is not a working Python 3.10 with venv/ensurepip." >&2
    echo "$HELP" >&2
    exit 1
fi

if cand=$(command -v python3.10 2>/dev/null) && works "$cand"; then
    found "$cand"
fi

root="${PYENV_ROOT:-${HOME:-}/.pyenv}"
if command -v pyenv >/dev/null 2>&1; then
    if prefix=$(pyenv prefix 3.10 2>/dev/null) && works "$prefix/bin/python3.10"; then
        found "$prefix/bin/python3.10"
    fi
    root=$(pyenv root 2>/dev/null) || root=""
fi
if [[ -n "$root" && "$root" != /.pyenv ]]; then
    shopt -s nullglob
    best="" best_micro=-1
    for cand in "$root"/versions/3.10*/bin/python3.10; do
        works "$cand" || continue
        micro=$("$cand" -c 'import sys; print(sys.version_info[2])' 2>/dev/null) || continue
        if (( micro > best_micro )); then best="$cand" best_micro=$micro; fi
    done
    shopt -u nullglob
    [[ -n "$best" ]] && found "$best"
fi

for dir in ${PATHFINDER_PY310_SYSTEM_DIRS:-/usr/bin /usr/local/bin}; do
    works "$dir/python3.10" && found "$dir/python3.10"
done

echo "$HELP" >&2
exit 1
