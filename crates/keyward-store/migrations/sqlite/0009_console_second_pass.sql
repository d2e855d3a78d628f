-- The console's search finds a token by its description too (issue 13): keyward now
-- writes the description into `search` beside the name. Existing tokens get theirs
-- here (SQLite's LOWER folds only ASCII; keyward folds every later write itself); the
-- name part, lower-cased by keyward, stays as it was.
UPDATE tokens SET search = search || char(10) || LOWER(description) WHERE description <> '';
