# shellcheck shell=bash
# The browser tests drive Debian's Chromium (never a browser a tool downloads itself).
# ensure_browser: install chromium, its driver and the CJK fonts when missing and we are root;
# otherwise say why the browser tests will skip.
ensure_browser() {
    if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
        return 0
    fi
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing chromium, chromium-driver and fonts-noto-cjk for the browser tests" >&2
        apt-get update -qq || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk \
            >/dev/null || echo "could not install chromium: the browser tests will skip" >&2
    else
        echo "no /usr/bin/chromium and not root: the browser tests (tests/web/browser) will skip" >&2
    fi
}
