-- The console's search finds a token by its description too (issue 13): keyward now
-- writes the description into `search` beside the name. Existing tokens get theirs
-- here; the name part, lower-cased by keyward, stays as it was.
UPDATE tokens SET search = search || chr(10) || LOWER(description) WHERE description <> '';
