/*
 * seal.h - a value kept secret in the journal: encrypted and
 * authenticated with the journal's key, so that it can be handed on
 * again after a resume, and read by no one without the key.
 */
#ifndef RUNJOB_SEAL_H
#define RUNJOB_SEAL_H

enum { SEAL_KEY_LEN = 32 };

/* value sealed for the place named by context (which must tell every
 * place from every other: a value sealed for one does not open for
 * another), as text; the caller frees it. */
char *seal(const unsigned char key[SEAL_KEY_LEN], const char *context,
	const char *value);
/* The context of an output of a run's step: resume.c opens what the
 * scheduler sealed. The caller frees it. */
char *seal_context(const char *run, const char *step, const char *output);
/* The value sealed for context, into *value (the caller frees it).
 * Returns 0, or -1 when sealed is not a sealed value, was altered, was
 * sealed for another place or with another key. */
int unseal(const unsigned char key[SEAL_KEY_LEN], const char *context,
	const char *sealed, char **value);

#endif
