// SPDX-License-Identifier: GPL-2.0-only
/* See tls.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "discovery/tls.h"

/* what and path into err, with OpenSSL's reason (or errno's when the file cannot be read) */
static void file_error(const char *what, const char *path, char *err, size_t errlen)
{
	unsigned long e = ERR_peek_last_error();

	if (access(path, R_OK))
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
	else
		snprintf(err, errlen, "%s %s: %s", what, path,
			 e && ERR_reason_error_string(e) ? ERR_reason_error_string(e)
							 : "not usable");
	ERR_clear_error();
}

SSL_CTX *shoal_tls_client_ctx(const char *ca, const char *cert, const char *key, char *err,
			      size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx) {
		snprintf(err, errlen, "cannot make a TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	/* a peer may close without close_notify: HTTP's own framing says whether an answer is whole */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (ca && ca[0]) {
		if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
			file_error("ca", ca, err, errlen);
			goto free_ctx;
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		snprintf(err, errlen, "cannot load the system's trusted CAs");
		goto free_ctx;
	}
	if (cert && cert[0]) {
		if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
			file_error("cert", cert, err, errlen);
			goto free_ctx;
		}
		if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
			file_error("key", key, err, errlen);
			goto free_ctx;
		}
		if (SSL_CTX_check_private_key(ctx) != 1) {
			snprintf(err, errlen, "key %s does not belong to cert %s", key, cert);
			ERR_clear_error();
			goto free_ctx;
		}
	}
	return ctx;
free_ctx:
	SSL_CTX_free(ctx);
	return NULL;
}

SSL *shoal_tls_session(SSL_CTX *ctx, const char *host)
{
	unsigned char a[sizeof(struct in6_addr)];
	SSL *ssl = SSL_new(ctx);
	int ok;

	if (!ssl)
		return NULL;
	if (inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1) {
		ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
	} else {
		/* RFC 6066 §3: SNI carries names only, never literal addresses */
		ok = SSL_set_tlsext_host_name(ssl, host) == 1 && SSL_set1_host(ssl, host) == 1;
	}
	if (!ok) {
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}

void shoal_tls_why(const SSL *ssl, unsigned long err, char *buf, size_t len)
{
	long v = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;

	if (v != X509_V_OK)
		snprintf(buf, len, "TLS: the server's certificate: %s",
			 X509_verify_cert_error_string(v));
	else if (err && ERR_reason_error_string(err))
		snprintf(buf, len, "TLS: %s", ERR_reason_error_string(err));
	else
		snprintf(buf, len, "TLS: the handshake failed");
}
