#!/usr/bin/env bash
# Prepare the real, unmodified ClearML / Trains clients for the end-to-end tests, each in
# its own virtual environment (they pin dependencies that must not mix with the server's):
#
#   clearml        clearml==2.1.12                        (Python 3.10+)
#   clearml-agent  clearml-agent==3.0.3                   (Python 3.10+)
#   clearml-serving clearml-serving==1.3.5 + clearml==2.1.12 (Python 3.10+; its CLI)
#   trains         trains==0.16.4 + pyjwt==1.7.1          (Python 3.10+; PyJWT 2.x breaks its login)
#   trains38       trains==0.16.4 + pyjwt==1.7.1 + virtualenv, and
#   trains-agent   trains-agent==0.16.3                   (Python 3.8 only: it imports
#                  collections.Iterable; skipped with a printed reason when no 3.8 exists)
#   wheelhouse     wheels of what trains-agent installs into a task's environment (pip,
#                  trains, pyjwt and their dependencies), so its runs need no index
#
# Environments go to $STATIONMASTER_E2E_VENVS (default tests/e2e/.venvs). A stamp file
# per environment records what was installed, so a second run only checks the stamps.
# Only PyPI is used (pip's normal index).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venvs=${STATIONMASTER_E2E_VENVS:-$here/.venvs}
mkdir -p "$venvs"

# The interpreter for the modern clients: the one given in $PYTHON, else python3.
py3=${PYTHON:-python3}

find_python38() {
    local candidate
    for candidate in "${PYTHON38:-}" python3.8; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys, venv; assert sys.version_info[:2] == (3, 8)' >/dev/null 2>&1; then
            command -v "$candidate"
            return 0
        fi
    done
    local root
    root=$( (command -v pyenv >/dev/null 2>&1 && pyenv root) || echo "${PYENV_ROOT:-$HOME/.pyenv}")
    for candidate in $(ls -d "$root"/versions/3.8*/bin/python3.8 2>/dev/null | sort -rV); do
        if "$candidate" -c 'import sys, venv; assert sys.version_info[:2] == (3, 8)' >/dev/null 2>&1; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

# make_venv NAME PYTHON PACKAGE...  — (re)creates $venvs/NAME unless its stamp matches.
make_venv() {
    local name=$1 python=$2
    shift 2
    local dir="$venvs/$name"
    local want
    want="$("$python" -c 'import sys; print(sys.version.split()[0])') $*"
    if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$want" ] && [ -x "$dir/bin/python" ]; then
        echo "e2e clients: $name ready ($want)"
        return 0
    fi
    echo "e2e clients: installing $name ($want)"
    rm -rf "$dir"
    "$python" -m venv "$dir"
    "$dir/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip 'setuptools<70' wheel
    "$dir/bin/python" -m pip install -q --disable-pip-version-check "$@"
    echo "$want" >"$dir/.stamp"
}

# make_wheelhouse PYTHON REQUIREMENT... — wheels for what trains-agent installs into a task's
# virtual environment, so that the test points pip at them (PIP_NO_INDEX) instead of PyPI.
make_wheelhouse() {
    local python=$1
    shift
    local dir="$venvs/wheelhouse"
    local want="$*"
    if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$want" ]; then
        echo "e2e clients: wheelhouse ready ($want)"
        return 0
    fi
    echo "e2e clients: building the wheelhouse ($want)"
    rm -rf "$dir"
    mkdir -p "$dir"
    "$python" -m pip wheel -q --disable-pip-version-check -w "$dir" "$@"
    echo "$want" >"$dir/.stamp"
}

make_venv clearml "$py3" clearml==2.1.12
make_venv clearml-agent "$py3" clearml-agent==3.0.3
make_venv clearml-serving "$py3" clearml-serving==1.3.5 clearml==2.1.12
make_venv trains "$py3" trains==0.16.4 pyjwt==1.7.1

if py38=$(find_python38); then
    make_venv trains38 "$py38" trains==0.16.4 pyjwt==1.7.1 virtualenv
    make_venv trains-agent "$py38" trains-agent==0.16.3 pyjwt==1.7.1
    make_wheelhouse "$venvs/trains38/bin/python" pip setuptools wheel trains==0.16.4 pyjwt==1.7.1
    rm -f "$venvs/trains-agent.skip"
else
    echo "e2e clients: no Python 3.8 interpreter found (\$PYTHON38, python3.8, pyenv versions): the trains-agent flow will be skipped"
    echo "no Python 3.8 interpreter found (\$PYTHON38, python3.8, pyenv versions)" >"$venvs/trains-agent.skip"
fi
