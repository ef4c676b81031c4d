/*
 * visible.h - text from steps and params made safe to show on a
 * terminal: control characters and escape sequences are written out as
 * \r, \n, \t or \xHH instead of acting, so a value cannot move the
 * cursor, recolour the screen or forge a line of runjob's own. Logs keep
 * the bytes as they came; this is for what people read.
 */
#ifndef RUNJOB_VISIBLE_H
#define RUNJOB_VISIBLE_H

#include <stddef.h>

#include "buf.h"

/* Append s[0..n) to b, its control characters written out. A tab stays
 * a tab, and so does well-formed UTF-8; C1 controls (U+0080-U+009F) and
 * bytes that are not UTF-8 are written out as \xHH. */
void buf_add_visible(struct buf *b, const char *s, size_t n);
/* s made visible, in a static buffer valid until the next call. */
const char *visible(const char *s);

#endif
