-- Accounts. Usernames are unique case-insensitively, deleted users included
-- (a name is never handed to someone else).
CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      TEXT        NOT NULL CHECK (char_length(username) BETWEEN 3 AND 32),
    password_hash TEXT        NOT NULL,
    role          TEXT        NOT NULL DEFAULT 'USER' CHECK (role IN ('USER', 'ADMIN')),
    -- Bumped to revoke every token issued before (password change, delete).
    token_version INTEGER     NOT NULL DEFAULT 0,
    created_at    TIMESTAMPTZ NOT NULL,
    deleted_at    TIMESTAMPTZ
);
CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username));

-- One wallet per user; the balance is the running sum of its ledger rows.
CREATE TABLE wallets (
    user_id    BIGINT      PRIMARY KEY REFERENCES users (id),
    balance    BIGINT      NOT NULL DEFAULT 0 CHECK (balance BETWEEN 0 AND 2147483647),
    updated_at TIMESTAMPTZ NOT NULL
);

-- One row per user per business day: the unique key is what makes a second
-- sign-in that day impossible, however many requests race. The row is also
-- the reward obligation (the outbox): credited_at stays NULL until the
-- reward's ledger row commits.
CREATE TABLE sign_ins (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     BIGINT      NOT NULL REFERENCES users (id),
    day         DATE        NOT NULL,
    cycle_day   SMALLINT    NOT NULL CHECK (cycle_day BETWEEN 1 AND 7),
    streak      INTEGER     NOT NULL CHECK (streak >= 1),
    reward      BIGINT      NOT NULL CHECK (reward >= 0),
    created_at  TIMESTAMPTZ NOT NULL,
    enqueued_at TIMESTAMPTZ,
    credited_at TIMESTAMPTZ,
    CONSTRAINT sign_ins_user_day_key UNIQUE (user_id, day)
);
CREATE INDEX sign_ins_uncredited_idx ON sign_ins (created_at) WHERE credited_at IS NULL;
CREATE INDEX sign_ins_day_idx ON sign_ins (day);

-- The append-only ledger.
CREATE TABLE wallet_transactions (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id         BIGINT      NOT NULL REFERENCES wallets (user_id),
    amount          BIGINT      NOT NULL,
    kind            TEXT        NOT NULL CHECK (kind IN ('SIGN_IN_REWARD', 'SPEND', 'ADJUSTMENT')),
    balance_after   BIGINT      NOT NULL CHECK (balance_after >= 0),
    note            TEXT,
    idempotency_key TEXT,
    -- A sign-in is credited at most once: the unique key makes a second
    -- delivery of the reward job a no-op.
    sign_in_id      BIGINT      UNIQUE REFERENCES sign_ins (id),
    created_at      TIMESTAMPTZ NOT NULL,
    CHECK ((kind = 'SIGN_IN_REWARD') = (sign_in_id IS NOT NULL)),
    CHECK ((kind = 'SIGN_IN_REWARD') = (idempotency_key IS NULL))
);
CREATE UNIQUE INDEX wallet_transactions_idempotency_key
    ON wallet_transactions (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX wallet_transactions_user_idx ON wallet_transactions (user_id, id DESC);

CREATE FUNCTION wallet_transactions_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'wallet_transactions is append-only';
END;
$$;
CREATE TRIGGER wallet_transactions_no_update_delete
    BEFORE UPDATE OR DELETE ON wallet_transactions
    FOR EACH ROW EXECUTE FUNCTION wallet_transactions_append_only();
CREATE TRIGGER wallet_transactions_no_truncate
    BEFORE TRUNCATE ON wallet_transactions
    FOR EACH STATEMENT EXECUTE FUNCTION wallet_transactions_append_only();
