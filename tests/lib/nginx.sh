#!/usr/bin/env bash
# An nginx of the test's own: every file under one directory, serving one
# 100-byte object, for request/response workloads (wrk) between namespaces.

# nginx_config DIR LISTEN [HTTP_DIRECTIVES]: DIR/www/small and
# DIR/nginx.conf listening on LISTEN (ADDR:PORT) with a deep backlog; extra
# directives go into the http block. Run it with
#   nginx -p DIR -c DIR/nginx.conf -e DIR/error.log
# (daemon off: the process started is nginx's master). Workers run as
# nobody, so DIR is made world-readable.
nginx_config() {
	local dir=$1 listen=$2 extra=${3:-}

	chmod 755 "$dir"
	mkdir -p "$dir/www" "$dir/tmp"
	head -c 100 /dev/zero | tr '\0' x >"$dir/www/small"
	cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	$extra
	client_body_temp_path $dir/tmp/body;
	proxy_temp_path $dir/tmp/proxy;
	fastcgi_temp_path $dir/tmp/fastcgi;
	uwsgi_temp_path $dir/tmp/uwsgi;
	scgi_temp_path $dir/tmp/scgi;
	server {
		listen $listen backlog=4096;
		root $dir/www;
	}
}
EOF
}
