-- Matrix sync filters (POST /_matrix/client/v3/user/{userId}/filter): kept
-- per user; an equal filter answers the id it already has.
CREATE TABLE matrix_filters (
  user_id    uuid        NOT NULL,
  filter_id  bigserial   NOT NULL,
  filter     text        NOT NULL CHECK (length(filter) <= 8192),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, filter_id)
);
CREATE INDEX matrix_filters_by_text ON matrix_filters (user_id, md5(filter));
