/*
 * json.h - reading back the flat JSON objects runjob writes (a run's
 * params): {"NAME":"value",...}, string values only.
 */
#ifndef RUNJOB_JSON_H
#define RUNJOB_JSON_H

/* Call fn for each member of the object in text. Returns 0, or -1 when
 * text is not such an object. */
int json_each_string(const char *text,
	void (*fn)(void *arg, const char *name, const char *value), void *arg);

#endif
