/*
 * fname.h - the file names of a step instance's logs and outputs file.
 */
#ifndef RUNJOB_FNAME_H
#define RUNJOB_FNAME_H

/* The longest name fname_of gives: what follows it in a file name
 * (".rollback2147483647.log", ".2147483647.output") still fits in
 * NAME_MAX, 255. */
#define FNAME_MAX 200

/* The file name of instance id, for the caller to free. Distinct ids
 * give distinct names of at most FNAME_MAX bytes:
 *   - an id of letters, digits, '.', '_', '-', '[' and ']' is its own
 *     name, when it fits;
 *   - otherwise every other byte is written %XX (hex), when that fits;
 *   - otherwise the start of that, '~' and the SHA-256 of the whole id.
 * The forms cannot meet: only the second holds '%', only the third '~'. */
char *fname_of(const char *id);

#endif
