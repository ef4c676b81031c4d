# lib-tls.sh - certificates for the TLS tests, made with the openssl CLI.
#
#   tls_ca NAME                     a CA: NAME.crt and NAME.key
#   tls_cert CA NAME SAN [DAYS]     a certificate NAME.crt and its key
#                                   NAME.key, signed by CA, for SAN
#                                   ("IP:127.0.0.1,DNS:localhost"), good
#                                   for DAYS (30); DAYS "expired" makes
#                                   one that ended in 2020
# All in the current directory; EC keys, which are quick to make.

tls_ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout "$1.key" -out "$1.crt" -days 30 \
		-subj "/CN=runjob test $1" \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}

tls_cert() {
	local t_ca=$1 t_name=$2 t_san=$3 t_days=${4:-30}
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$t_name.key" -out "$t_name.csr" \
		-subj "/CN=$t_name" 2>/dev/null || return 1
	printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' \
		"$t_san" >"$t_name.ext"
	if [ "$t_days" = expired ]; then
		# openssl x509 -req takes no start date before OpenSSL 3.4;
		# openssl ca, with a throwaway database, does.
		mkdir -p "$t_name.db" &&
		: >"$t_name.db/index" &&
		echo 01 >"$t_name.db/serial" &&
		printf '%s\n' '[ca]' 'default_ca = c' '[c]' \
			"database = $t_name.db/index" \
			"new_certs_dir = $t_name.db" \
			"serial = $t_name.db/serial" 'default_md = sha256' \
			'policy = p' '[p]' 'commonName = supplied' \
			>"$t_name.cnf" &&
		openssl ca -batch -config "$t_name.cnf" -cert "$t_ca.crt" \
			-keyfile "$t_ca.key" -in "$t_name.csr" -out "$t_name.crt" \
			-startdate 20200101000000Z -enddate 20200201000000Z \
			-extfile "$t_name.ext" -notext 2>/dev/null
	else
		openssl x509 -req -in "$t_name.csr" -CA "$t_ca.crt" \
			-CAkey "$t_ca.key" -CAcreateserial -out "$t_name.crt" \
			-days "$t_days" -extfile "$t_name.ext" 2>/dev/null
	fi
}

# With lib-redis.sh:
#   redis_start_tls NAME CERT [redis-server args...]
#                                   redis_start NAME, also listening for
#                                   TLS on another free port with CERT
#                                   (CERT.crt, CERT.key) and clients'
#                                   certificates checked against ca.crt
#   tls_url NAME [DB]               rediss://127.0.0.1:TLSPORT/DB
redis_start_tls() {
	local t_name=$1 t_cert=$2 t_port
	shift 2
	t_port=$(redis_free_port) &&
	redis_start "$t_name" --tls-port "$t_port" \
		--tls-cert-file "$PWD/$t_cert.crt" \
		--tls-key-file "$PWD/$t_cert.key" \
		--tls-ca-cert-file "$PWD/ca.crt" "$@" &&
	echo "$t_port" >"$REDIS_REGISTRY/$t_name.tlsport"
}

tls_url() {
	printf 'rediss://127.0.0.1:%s/%s\n' \
		"$(cat "$REDIS_REGISTRY/$1.tlsport")" "${2:-0}"
}
