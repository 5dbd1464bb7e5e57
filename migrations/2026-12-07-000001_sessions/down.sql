ALTER TABLE users DROP COLUMN live_sessions;
DROP TABLE refresh_tokens;
DROP TABLE sessions;
