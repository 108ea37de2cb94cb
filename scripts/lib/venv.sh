# shellcheck shell=bash
# Shared by scripts/serve and scripts/test: find Python >= 3.11, create the virtual environment
# once, and (re)install the project when pyproject.toml changed since the last install.

find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    echo "creditbank needs Python 3.11 or newer; set PYTHON=/path/to/python3.11" >&2
    return 1
}

# ensure_venv DIR EXTRAS: create DIR if missing and install the project with EXTRAS.
ensure_venv() {
    local venv=$1 extras=$2 python stamp
    python=$(find_python)
    if [ ! -x "$venv/bin/python" ]; then
        echo "creating virtual environment in $venv" >&2
        "$python" -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet --upgrade pip
    fi
    stamp="$venv/.creditbank-installed"
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ "$(cat "$stamp")" != "$extras" ]; then
        echo "installing creditbank$extras into $venv" >&2
        "$venv/bin/python" -m pip install --quiet --editable ".$extras"
        echo "$extras" >"$stamp"
    fi
}
