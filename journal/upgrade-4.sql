-- Schema version 4: the event chain is keyed. events.hash becomes
-- HMAC-SHA256 under the journal's key (the key file, see key.h) of the
-- previous event's hash and this event, each field length-prefixed (see
-- journal_event_hash in journal.h), instead of a plain SHA-256 that
-- anyone could recompute after editing a row. The tables do not change:
-- journal.c re-chains the events already there with the key, in the
-- same transaction as this upgrade, checking the old chain first, and
-- records that as a 'chain-rekeyed' event (run_id '': the journal's
-- own). Events whose run_id is '' belong to no run.
SELECT 1;
