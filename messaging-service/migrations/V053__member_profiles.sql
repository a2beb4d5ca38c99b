-- The profile of each local user as profile-service last published it
-- (profile.updated), so the join event a room write makes for that user
-- carries their displayname and avatar_url as Matrix clients expect.
ALTER TABLE users ADD COLUMN displayname text, ADD COLUMN avatar_url text;
