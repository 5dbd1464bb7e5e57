-- Case-insensitive substring search on usernames (`searchUsers`): a trigram
-- index answers `lower(username) LIKE '%abc%'` without scanning every user.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX users_username_trgm_idx ON users USING gin (lower(username) gin_trgm_ops);
