-- A deactivated user's profile stays (ids resolve) but leaves search.
ALTER TABLE profiles ADD COLUMN deactivated_at timestamptz;
