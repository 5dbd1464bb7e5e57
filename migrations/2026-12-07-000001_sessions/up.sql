-- Sessions: staying signed in (contract, "Sessions: staying signed in").
-- One row per session; its refresh tokens are kept as SHA-256 hashes only,
-- each linked to the one it replaced (a family per session). A session
-- ends by setting ended_at; ended sessions are deleted by the periodic
-- sweep after their retention (README).
CREATE TABLE sessions (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    -- Its login or latest refresh (idle expiry counts from here).
    last_used_at TIMESTAMPTZ NOT NULL,
    -- The absolute end (sessionExpiresAt): refreshing never moves it.
    expires_at TIMESTAMPTZ NOT NULL,
    user_agent TEXT CHECK (char_length(user_agent) <= 200),
    ended_at TIMESTAMPTZ,
    ended_reason TEXT CHECK (ended_reason IN
        ('sign_out', 'revoked', 'everywhere', 'reuse', 'password', 'deleted', 'idle', 'expired',
         'evicted')),
    CHECK ((ended_at IS NULL) = (ended_reason IS NULL))
);
CREATE INDEX sessions_live_by_user ON sessions (user_id, created_at DESC) WHERE ended_at IS NULL;
CREATE INDEX sessions_ended ON sessions (ended_at) WHERE ended_at IS NOT NULL;

CREATE TABLE refresh_tokens (
    id BIGSERIAL PRIMARY KEY,
    session_id BIGINT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    token_hash BYTEA NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    -- The token this one replaced (NULL for the session's first).
    replaces BIGINT UNIQUE REFERENCES refresh_tokens (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    -- When a refresh spent it (its successor is the row that replaces it).
    spent_at TIMESTAMPTZ
);
CREATE INDEX refresh_tokens_by_session ON refresh_tokens (session_id);

-- The live sessions of each user, kept with the user's row so the token
-- check reads them with the row it already reads (and caches): a session
-- that ends leaves this list in the same transaction, and the user's
-- cached row is dropped everywhere, as for a deletion.
ALTER TABLE users ADD COLUMN live_sessions BIGINT[] NOT NULL DEFAULT '{}';
