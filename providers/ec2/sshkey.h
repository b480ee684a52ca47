/*
 * sshkey.h - Ed25519 key pairs for SSH, made locally (OpenSSL), the
 * private half written in OpenSSH's format.
 */
#ifndef MS_SSHKEY_H
#define MS_SSHKEY_H

/*
 * Make a key pair: the private key goes to a new file at path (mode 0600;
 * a file already there is an error, never overwritten); *public_key is
 * its "ssh-ed25519 AAAA... comment" line, the caller's.
 */
int ms_sshkey_generate(char **public_key, const char *path,
		       const char *comment);
/* The public line of the OpenSSH Ed25519 private key file at path. */
int ms_sshkey_public_of(char **public_key, const char *path,
			const char *comment);

#endif
