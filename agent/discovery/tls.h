/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * TLS to etcd, for the agent and for lbctl register: one client context
 * (the peer verified against a CA, a client certificate if etcd asks for
 * one), one session per connection that checks the certificate names the
 * host it was dialled by. No I/O beyond reading the files named.
 */
#ifndef SHOAL_TLS_H
#define SHOAL_TLS_H

#include <stddef.h>
#include <openssl/ssl.h>

/*
 * A client context: TLS 1.2 or later, peers verified against ca (NULL or ""
 * for the system's trusted CAs), cert and key presented if given. NULL with
 * err set (which file, and why).
 */
SSL_CTX *shoal_tls_client_ctx(const char *ca, const char *cert, const char *key, char *err,
			      size_t errlen);
/*
 * A session to host: its certificate must carry host (a DNS name, or an IP
 * address in its IP SANs); a name is also sent as SNI. NULL if out of memory.
 */
SSL *shoal_tls_session(SSL_CTX *ctx, const char *host);
/* Why a connection on ssl failed: the certificate's verdict, else OpenSSL's last error. */
void shoal_tls_why(const SSL *ssl, unsigned long err, char *buf, size_t len);

#endif /* SHOAL_TLS_H */
