# shellcheck shell=bash
# Used by scripts/test: install the interoperability verifier's pinned npm packages
# (tests/interop/package-lock.json) into tests/interop/node_modules when the lock changed.
# Without node and npm it does nothing; the tests that need them skip and say why.

NODE_PROJECT=tests/interop

ensure_node_modules() {
    local stamp="$NODE_PROJECT/node_modules/.creditbank-lock"
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        echo "node/npm not found: the Node.js interoperability tests will skip" >&2
        return 0
    fi
    if [ -f "$stamp" ] && cmp -s "$NODE_PROJECT/package-lock.json" "$stamp"; then
        return 0
    fi
    echo "installing the interoperability verifier's npm packages into $NODE_PROJECT/node_modules" >&2
    # npm ci installs exactly the lock, or fails: a lock out of step with package.json is an error.
    (cd "$NODE_PROJECT" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$NODE_PROJECT/package-lock.json" "$stamp"
}
