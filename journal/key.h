/*
 * key.h - the journal's key: 32 random bytes, as 64 hex digits, in a
 * file of their own beside the journal (PATH.key, mode 0600), or where
 * RUNJOB_AUDIT_KEY_FILE says. It seals the outputs that hold a secret
 * (seal.h); whoever can read it can open them, so it is kept like a
 * password, and off the machine with the journal's backups.
 */
#ifndef RUNJOB_KEY_H
#define RUNJOB_KEY_H

enum { JOURNAL_KEY_LEN = 32 };

/* The key file of the journal at jpath; the caller frees it. */
char *journal_key_path(const char *jpath);
/* Read the key into key, making it first when there is none and create
 * is set. Returns 0; 1 when there is none (and create is not set); -1
 * on an error (reported): a key file that cannot be read, is not a key,
 * or can be read by others than its owner is never replaced. */
int journal_key(const char *jpath, int create,
	unsigned char key[JOURNAL_KEY_LEN]);

#endif
