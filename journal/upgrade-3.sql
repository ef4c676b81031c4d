-- Schema version 3: an output whose value holds a secret keeps, besides
-- its masked value, the value itself sealed with the journal's key
-- (authenticated encryption; see runner/seal.c), so that a resumed run
-- hands its dependents the value and not "***". NULL: nothing to hide.
ALTER TABLE outputs ADD COLUMN sealed TEXT;
