-- A user's direct rooms by the two sides of their key ("<low>:<high>", a
-- superseded one "<low>:<high>/<room id>"): account data counts them at every
-- Matrix sync, which walked all of the user's memberships (a reader in 500
-- rooms: 1.9 ms a sync on the Matrix wake bench). Only the pair are members
-- of a direct room, so its joined member is one of the two sides.
CREATE INDEX rooms_direct_low ON rooms (split_part(direct_key, ':', 1)) WHERE kind = 'direct';
CREATE INDEX rooms_direct_high ON rooms (split_part(split_part(direct_key, '/', 1), ':', 2))
  WHERE kind = 'direct';
