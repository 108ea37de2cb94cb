# shellcheck shell=bash
# The shared rate-limit test runs against a Redis on 127.0.0.1:6379 (Debian's redis-server).
# ensure_redis: install it when missing and we are root, start a throwaway one (no
# persistence, loopback only) when none answers; otherwise say why that test will skip.
redis_answers() {
    (exec 3<>/dev/tcp/127.0.0.1/6379 && printf 'PING\r\n' >&3 && head -c 5 <&3 | grep -q PONG) \
        2>/dev/null
}

ensure_redis() {
    if redis_answers; then
        return 0
    fi
    if ! command -v redis-server >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            echo "installing redis-server for the shared rate-limit test" >&2
            apt-get update -qq || true
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null \
                || echo "could not install redis-server: the Redis test will skip" >&2
        fi
    fi
    if command -v redis-server >/dev/null 2>&1; then
        redis-server --bind 127.0.0.1 --port 6379 --save '' --appendonly no --daemonize yes \
            >/dev/null || echo "could not start redis-server: the Redis test will skip" >&2
    else
        echo "no redis-server: the Redis rate-limit test will skip" >&2
    fi
}
