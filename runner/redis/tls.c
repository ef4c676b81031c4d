/*
 * tls.c - TLS sessions to rediss:// servers (tls.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls.h"
#include "util.h"

/* The socket BIO's own methods, but writing with MSG_NOSIGNAL: a redis
 * built-in keeps SIGPIPE (a write to a runjob that died must end it),
 * and a server that reset the connection must not. */
static BIO_METHOD *nosig_method;
static pthread_once_t nosig_once = PTHREAD_ONCE_INIT;

static int
nosig_write(BIO *b, const char *p, int n)
{
	int fd = (int)BIO_get_fd(b, NULL);
	ssize_t w = send(fd, p, (size_t)n, MSG_NOSIGNAL);

	BIO_clear_retry_flags(b);
	if (w < 0 && (errno == EINTR || errno == EAGAIN ||
	    errno == EWOULDBLOCK))
		BIO_set_retry_write(b);
	return (int)w;
}

static void
nosig_init(void)
{
	const BIO_METHOD *s = BIO_s_socket();

	nosig_method = BIO_meth_new(BIO_TYPE_SOCKET, "socket, no SIGPIPE");
	if (!nosig_method)
		fatal("out of memory setting up TLS");
	BIO_meth_set_write(nosig_method, nosig_write);
	BIO_meth_set_read(nosig_method, BIO_meth_get_read(s));
	BIO_meth_set_puts(nosig_method, BIO_meth_get_puts(s));
	BIO_meth_set_ctrl(nosig_method, BIO_meth_get_ctrl(s));
	BIO_meth_set_create(nosig_method, BIO_meth_get_create(s));
	BIO_meth_set_destroy(nosig_method, BIO_meth_get_destroy(s));
}

/* OpenSSL's reason for the last failure of this thread, or def. */
static const char *
ssl_reason(char *buf, size_t n, const char *def)
{
	unsigned long e = ERR_peek_last_error();

	if (!e) {
		snprintf(buf, n, "%s", def);
		return buf;
	}
	ERR_error_string_n(e, buf, n);
	ERR_clear_error();
	/* "error:0A000086:SSL routines::certificate verify failed": the
	 * words after the last colon are the ones that say something. */
	{
		char *c = strrchr(buf, ':');

		if (c && c[1])
			memmove(buf, c + 1, strlen(c + 1) + 1);
	}
	return buf;
}

/* 0 when path can be read; else -1 with why in err. */
static int
readable(const char *setting, const char *path, char *err, size_t n)
{
	FILE *f = fopen(path, "r");

	if (f) {
		fclose(f);
		return 0;
	}
	snprintf(err, n, "%s: cannot read '%s': %s", setting, path,
		strerror(errno));
	return -1;
}

static SSL_CTX *
make_ctx(const struct rtls *t, char *err, size_t n)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	char why[256];

	if (!ctx)
		fatal("out of memory setting up TLS");
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (t && t->insecure) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	} else {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		if (t && t->ca) {
			if (readable("tls_ca", t->ca, err, n) < 0)
				goto fail;
			if (SSL_CTX_load_verify_locations(ctx, t->ca, NULL) != 1) {
				snprintf(err, n, "tls_ca: cannot read CA "
					"certificates from '%s': %s; give a "
					"PEM file", t->ca, ssl_reason(why,
					sizeof(why), "not PEM"));
				goto fail;
			}
		} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
			snprintf(err, n, "cannot read the system's CA "
				"certificates: %s; give tls_ca: FILE",
				ssl_reason(why, sizeof(why), "unknown"));
			goto fail;
		}
	}
	if (t && t->cert) {
		if (readable("tls_cert", t->cert, err, n) < 0 ||
		    readable("tls_key", t->key, err, n) < 0)
			goto fail;
		if (SSL_CTX_use_certificate_chain_file(ctx, t->cert) != 1) {
			snprintf(err, n, "tls_cert: cannot read a certificate "
				"from '%s': %s; give a PEM file", t->cert,
				ssl_reason(why, sizeof(why), "not PEM"));
			goto fail;
		}
		if (SSL_CTX_use_PrivateKey_file(ctx, t->key, SSL_FILETYPE_PEM)
		    != 1) {
			ssl_reason(why, sizeof(why), "not PEM");
			if (strstr(why, "key values mismatch"))
				goto mismatch;
			snprintf(err, n, "tls_key: cannot read a private key "
				"from '%s': %s; give an unencrypted PEM file",
				t->key, why);
			goto fail;
		}
		if (SSL_CTX_check_private_key(ctx) != 1) {
mismatch:
			snprintf(err, n, "tls_key: '%s' is not the key of the "
				"certificate in '%s'", t->key, t->cert);
			goto fail;
		}
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/* Why the handshake (SSL_connect returned r) failed, in words, with
 * what to do. */
static void
explain(SSL *ssl, int r, const char *name, char *err, size_t n)
{
	long v = SSL_get_verify_result(ssl);
	int e = SSL_get_error(ssl, r);
	char why[256];

	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ||
	    (e == SSL_ERROR_SYSCALL && (errno == EAGAIN ||
	    errno == EWOULDBLOCK))) {
		snprintf(err, n, "no answer to the TLS handshake within "
			"io_timeout; is it a TLS port? use redis:// for a "
			"plain one");
		return;
	}
	ssl_reason(why, sizeof(why), "the server closed the connection");
	switch (v) {
	case X509_V_OK:
		snprintf(err, n, "TLS handshake failed: %s%s", why,
			strstr(why, "certificate required") ? "; the server "
			"asks for a client certificate: give tls_cert and "
			"tls_key" : strstr(why, "wrong version") ? "; is it a "
			"TLS port? use redis:// for a plain one" : "");
		break;
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		snprintf(err, n, "the server's certificate is not for '%s'; "
			"if it is the right server, set tls_server_name to a "
			"name its certificate is for", name);
		break;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		snprintf(err, n, "the server's certificate has expired; "
			"the server needs a new one");
		break;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		snprintf(err, n, "the server's certificate is not valid yet "
			"(is this machine's clock right?)");
		break;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		snprintf(err, n, "the server's certificate is not signed by "
			"a CA runjob trusts (%s); give the CA that signed it "
			"with tls_ca: FILE", X509_verify_cert_error_string(v));
		break;
	default:
		snprintf(err, n, "the server's certificate was refused: %s",
			X509_verify_cert_error_string(v));
		break;
	}
}

struct ssl_st *
rtls_open(int fd, const struct rurl *u, char *err, size_t n)
{
	const struct rtls *t = u->tlsopt;
	const char *name = t && t->server_name ? t->server_name : u->host;
	unsigned char ip[16];
	int is_ip, r;
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *bio;

	pthread_once(&nosig_once, nosig_init);
	ERR_clear_error();
	if (!(ctx = make_ctx(t, err, n)))
		return NULL;
	ssl = SSL_new(ctx);
	SSL_CTX_free(ctx);	/* the session holds it */
	if (!ssl || !(bio = BIO_new(nosig_method)))
		fatal("out of memory setting up TLS");
	BIO_set_fd(bio, fd, BIO_NOCLOSE);
	SSL_set_bio(ssl, bio, bio);
	is_ip = inet_pton(AF_INET, name, ip) == 1 ||
		inet_pton(AF_INET6, name, ip) == 1;
	/* SNI is for names only; an address is checked as an address. */
	if (!is_ip)
		SSL_set_tlsext_host_name(ssl, name);
	if (!t || !t->insecure) {
		if (is_ip)
			X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name);
		else
			SSL_set1_host(ssl, name);
	}
	if ((r = SSL_connect(ssl)) != 1) {
		explain(ssl, r, name, err, n);
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}

void
rtls_close(struct ssl_st *ssl)
{
	if (ssl)
		SSL_free(ssl);
}

/* The outcome of an SSL_read or SSL_write that returned r. */
static ssize_t
outcome(SSL *ssl, int r, char *err, size_t errlen, int *timedout)
{
	int e = SSL_get_error(ssl, r);
	char why[256];

	*timedout = 0;
	switch (e) {
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		/* A blocking socket: its timeout passed. */
		*timedout = 1;
		snprintf(err, errlen, "%s", strerror(EAGAIN));
		return -1;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				*timedout = 1;
				snprintf(err, errlen, "%s", strerror(EAGAIN));
				return -1;
			}
			if (r == 0 || errno == 0)
				return 0;
			snprintf(err, errlen, "%s", strerror(errno));
			return -1;
		}
		/* fall through */
	default:
		ssl_reason(why, sizeof(why), "TLS error");
		snprintf(err, errlen, "TLS: %s%s", why,
			strstr(why, "certificate required") ? "; the server "
			"asks for a client certificate: give tls_cert and "
			"tls_key" : "");
		return -1;
	}
}

ssize_t
rtls_read(struct ssl_st *ssl, void *p, size_t n, char *err, size_t errlen,
	int *timedout)
{
	int r;

	ERR_clear_error();
	r = SSL_read(ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
	if (r > 0)
		return r;
	return outcome(ssl, r, err, errlen, timedout);
}

ssize_t
rtls_write(struct ssl_st *ssl, const void *p, size_t n, char *err,
	size_t errlen, int *timedout)
{
	int r;

	ERR_clear_error();
	r = SSL_write(ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
	if (r > 0)
		return r;
	r = (int)outcome(ssl, r, err, errlen, timedout);
	if (r == 0)
		snprintf(err, errlen, "the server closed the connection");
	return -1;
}
