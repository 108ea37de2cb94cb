# shellcheck shell=bash
# Used by scripts/test: install each test project's pinned npm packages (its package-lock.json)
# into its node_modules when the lock changed: the interoperability verifier (tests/interop)
# and axe-core for the browser tests' accessibility checks (tests/web/browser).
# Without node and npm it does nothing; the tests that need them skip and say why.

NODE_PROJECTS="tests/interop tests/web/browser"

ensure_node_modules() {
    local project stamp
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        echo "node/npm not found: the Node.js interoperability tests and axe checks will skip" >&2
        return 0
    fi
    for project in $NODE_PROJECTS; do
        stamp="$project/node_modules/.creditbank-lock"
        if [ -f "$stamp" ] && cmp -s "$project/package-lock.json" "$stamp"; then
            continue
        fi
        echo "installing the pinned npm packages of $project into $project/node_modules" >&2
        # npm ci installs exactly the lock, or fails: a lock out of step with package.json is an error.
        (cd "$project" && npm ci --no-audit --no-fund --loglevel=error)
        cp "$project/package-lock.json" "$stamp"
    done
}
