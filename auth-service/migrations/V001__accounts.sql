-- Accounts. Usernames and emails are unique case-insensitively; passwords are
-- argon2id strings (libsodium crypto_pwhash_str); tokens only as SHA-256.
CREATE TABLE users (
  user_id              uuid PRIMARY KEY,
  username             text        NOT NULL,
  email                text        NOT NULL,
  password_hash        text        NOT NULL,
  created_at           timestamptz NOT NULL,
  email_verified_at    timestamptz,
  verification_sent_at timestamptz
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE email_verifications (
  token_hash bytea PRIMARY KEY,
  user_id    uuid        NOT NULL REFERENCES users ON DELETE CASCADE,
  expires_at timestamptz NOT NULL,
  used_at    timestamptz
);
CREATE INDEX email_verifications_by_user ON email_verifications (user_id);

-- Failed logins per account inside the current window (lockout).
CREATE TABLE login_failures (
  user_id      uuid PRIMARY KEY REFERENCES users ON DELETE CASCADE,
  window_start timestamptz NOT NULL,
  failures     int         NOT NULL,
  locked_until timestamptz
);
