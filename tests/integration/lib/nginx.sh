# nginx.sh - a private nginx (Debian nginx-light) for tests: own prefix and
# config in DIR, never the system service.  Source it, then:
#   nginx_start DIR PORT UPSTREAM
#     https://127.0.0.1:PORT with mutual TLS (ssl_verify_client on: no or an
#     untrusted client certificate gets nginx's 400 page), HTTP/2 via ALPN
#     unless NGINX_HTTP2=0.  UPSTREAM: "sink" (answer 204, discard) or
#     host:port of a backend; requests are proxied with the whole body read
#     first, except under /midbody/ (streamed, so a backend answer can cut
#     the client off mid-body).  A backend status 599 makes nginx close the
#     client connection without an answer (return 444).
#   Knobs: NGINX_PKI (dir with ca.pem server.pem server.key; default
#     DIR/pki), NGINX_CERT/NGINX_KEY (server identity), NGINX_LISTEN
#     ("127.0.0.1" or a list "127.0.0.1 127.0.0.2"), NGINX_HTTP2,
#     NGINX_WRAP (a command prefix, e.g. "ip netns exec NS"; set NGINX_NETNS=1
#     too: the port cannot be probed from here).
#   DIR/access.log fields: msec status request_length content_length
#     idempotency_key ssl_client_serial "ssl_client_s_dn" ssl_protocol
#     server_protocol connection connection_requests request_time
#   nginx_stop DIR           stop that nginx (its master pid only)
#   nginx_reload DIR         re-read certificates
NGINX=${NGINX:-/usr/sbin/nginx}

nginx_start() {
  local dir=$1 port=$2 upstream=$3 pki=${NGINX_PKI:-$1/pki} h2=" http2" l listen=""
  [ "${NGINX_HTTP2:-1}" = 0 ] && h2=""
  local cert=${NGINX_CERT:-$pki/server.pem} key=${NGINX_KEY:-$pki/server.key}
  for l in ${NGINX_LISTEN:-127.0.0.1}; do listen="$listen    listen $l:$port ssl$h2;
"; done
  mkdir -p "$dir/tmp"
  : > "$dir/access.log"; : > "$dir/error.log"
  local up="server $upstream;" sink=""
  if [ "$upstream" = sink ]; then
    local sp=$((port + 1000))
    up="server 127.0.0.1:$sp;"
    sink="server { listen 127.0.0.1:$sp; access_log off; location / { return 204; } }"
  fi
  cat > "$dir/nginx.conf" <<CONF
$([ "$(id -u)" = 0 ] && echo "user root;")
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log info;
events { worker_connections 256; }
http {
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  log_format t '\$msec \$status \$request_length \$content_length '
               '\$http_idempotency_key \$ssl_client_serial "\$ssl_client_s_dn" '
               '\$ssl_protocol \$server_protocol \$connection \$connection_requests '
               '\$request_time';
  keepalive_requests 100000;
  keepalive_timeout 120s;
  client_max_body_size 64m;
  client_body_buffer_size 64m;
  upstream backend { $up keepalive 8; }
  $sink
  server {
$listen
    ssl_certificate $cert;
    ssl_certificate_key $key;
    ssl_client_certificate $pki/ca.pem;
    ssl_verify_client on;
    ssl_protocols TLSv1.2 TLSv1.3;
    access_log $dir/access.log t;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header X-Client-Serial \$ssl_client_serial;
    proxy_set_header X-Client-DN \$ssl_client_s_dn;
    proxy_read_timeout 300s;
    proxy_intercept_errors on;
    error_page 599 = @drop;
    location @drop { return 444; }
    location /midbody/ {
      proxy_request_buffering off;
      proxy_pass http://backend;
    }
    location / {
      proxy_request_buffering on;
      proxy_pass http://backend;
    }
  }
}
CONF
  ${NGINX_WRAP:-} "$NGINX" -t -q -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" || return 1
  ${NGINX_WRAP:-} "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" || return 1
  local i first=${NGINX_LISTEN:-127.0.0.1}
  first=${first%% *}
  for i in $(seq 100); do
    if [ -s "$dir/nginx.pid" ]; then
      # inside another network namespace we cannot probe: the pid will do
      [ -n "${NGINX_NETNS:-}" ] && { sleep 0.3; return 0; }
      (exec 3<>"/dev/tcp/$first/$port") 2>/dev/null && return 0
    fi
    sleep 0.05
  done
  echo "nginx_start: nginx did not come up; see $dir/error.log" >&2
  return 1
}

nginx_reload() {
  local pid; pid=$(cat "$1/nginx.pid" 2>/dev/null) || return 1
  kill -HUP "$pid"; sleep 0.5
}

nginx_stop() {
  local dir=$1 pid i
  pid=$(cat "$dir/nginx.pid" 2>/dev/null) || return 0
  grep -qF -- "$dir/nginx.conf" "/proc/$pid/cmdline" 2>/dev/null || return 0
  kill -QUIT "$pid" 2>/dev/null || true
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$dir/nginx.pid"
}
