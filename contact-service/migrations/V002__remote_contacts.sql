-- Users of other Matrix servers (issue 16): user_id = RemoteUserUuid(matrix_id)
-- (common/matrix_user_uuid.h, as messaging names them), username = the full
-- "@local:server". NULL for local users.
ALTER TABLE users ADD COLUMN matrix_id text UNIQUE;
