# Shell functions for the steps of jobs that talk to Redis or Valkey
# with redis-cli; a job takes them with prelude: { file: lib/redis.sh }.

# rcli URL ARGS...: redis-cli -u URL ARGS..., with the user and password
# of the URL (%-escapes decoded, as runjob does) in --user and
# REDISCLI_AUTH: a password on the command line is seen by ps. A
# rediss:// URL is TLS, with the CA file, client certificate and key in
# $TLS_CA, $TLS_CERT and $TLS_KEY when they are set (as redis.copy's
# tls_ca, tls_cert and tls_key).
rcli() {
  scheme=redis rest=${1#*://} auth= user=
  case $1 in rediss://*) scheme=rediss ;; esac
  shift
  case $rest in *@*) auth=${rest%@*} rest=${rest##*@} ;; esac
  case $auth in *:*) user=${auth%%:*} auth=${auth#*:} ;; esac
  case $user$auth in *%*) user=$(unpct "$user") auth=$(unpct "$auth") ;; esac
  if [ $scheme = rediss ]; then
    set -- ${TLS_CA:+--cacert "$TLS_CA"} ${TLS_CERT:+--cert "$TLS_CERT"} \
      ${TLS_KEY:+--key "$TLS_KEY"} "$@"
  fi
  if [ -z "$auth" ]; then redis-cli -u "$scheme://$rest" "$@"; return; fi
  REDISCLI_AUTH=$auth redis-cli ${user:+--user "$user"} -u "$scheme://$rest" "$@"
}
# unpct TEXT: TEXT with its %-escapes decoded.
unpct() {
  printf '%s\n' "$1" | LC_ALL=C awk '{
    s = $0; out = ""; hex = "0123456789abcdef"
    while ((i = index(s, "%")) > 0) {
      a = index(hex, tolower(substr(s, i + 1, 1)))
      b = index(hex, tolower(substr(s, i + 2, 1)))
      if (a && b && i + 2 <= length(s)) { out = out substr(s, 1, i - 1) sprintf("%c", (a - 1) * 16 + b - 1); s = substr(s, i + 3) }
      else { out = out substr(s, 1, i); s = substr(s, i + 1) }
    }
    printf "%s", out s
  }'
}
# field NAME: the value of NAME: in INFO text on stdin.
field() { tr -d '\r' | sed -n "s/^$1://p"; }
# need_redis_cli: fail, saying how to install it, without redis-cli.
need_redis_cli() {
  command -v redis-cli >/dev/null ||
    { echo "redis-cli is not installed (Debian: apt-get install redis-tools)" >&2; exit 1; }
}
