/*
 * known_hosts.h - checking an SSH server's host key against OpenSSH's
 * known_hosts files, for the state remote (libgit2 1.5 checks none).
 */
#ifndef MS_KNOWN_HOSTS_H
#define MS_KNOWN_HOSTS_H

#include <stddef.h>

/*
 * Whether the file at path lists key (the server's public key blob, as
 * SSH sends it: what a known_hosts line holds in base64) for host on
 * port. Lines may name hosts plainly, as "[host]:port" for a port other
 * than 22, with '*' and '?' wildcards, negated with '!', or hashed
 * ("|1|salt|hash"); "@cert-authority" lines are skipped, and a key marked
 * "@revoked" is refused.
 *
 * Returns 0 when a line for host holds key; MS_ENOTFOUND when no line
 * names host (or there is no file); MS_EEXISTS when lines name host but
 * none holds key (or the key is revoked): the key changed, or someone is
 * in the middle. No message is set.
 */
int ms_known_hosts_check(const char *path, const char *host, int port,
			 const unsigned char *key, size_t len);

#endif
