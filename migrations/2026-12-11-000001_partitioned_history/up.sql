-- Partitioned history (issue 29, item 3): `sign_ins` by month of its
-- business day, `wallet_transactions` by month of `created_at` (UTC), kept
-- by pg_partman (partitions made ahead, a default partition as the safety
-- net) and archived by the service's history job when
-- SIGNIN_HISTORY_RETENTION_MONTHS is set (`service::history`).
--
-- What partitioning changes, and why:
-- * A primary key or unique key of a partitioned table must include the
--   partition key: `sign_ins` is keyed (id, day), `wallet_transactions`
--   (id, created_at). `sign_ins (user_id, day)` already includes it and
--   stays as it is (keys that lead with user_id keep sharding by user open).
-- * The ledger's two uniqueness rules that cannot include the month (each
--   sign-in credited each kind once; an idempotency key used once per user)
--   move to two small unpartitioned tables, filled by a statement trigger
--   in the transaction of the ledger insert: a second credit or a reused
--   key still fails the insert, with the same constraint names as before.
-- * No foreign key points into `sign_ins` any more (from the ledger and
--   from frozen_days): PostgreSQL refuses to detach a referenced partition
--   while any row points into it, which would pin every month for ever.
--   These ids are written only by the service, under the wallet lock, and
--   `signin-rewards audit` checks every reference within the kept months.
-- * Statement triggers do not reach partitions: `guard_history_partitions`
--   gives each ledger partition its own TRUNCATE guard (run here and after
--   every maintenance).
--
-- Existing rows are copied into the new tables (through temporary tables:
-- on a large install this migration takes a while; see docs/operations.md,
-- "Partitioned history").

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_partman') THEN
        RAISE EXCEPTION 'pg_partman is not installed on this PostgreSQL server'
            USING HINT = 'install the package postgresql-<major>-partman (make run and make test do it on Debian/Ubuntu); see docs/operations.md, "Partitioned history"';
    END IF;
END
$$;
CREATE SCHEMA IF NOT EXISTS partman;
CREATE EXTENSION IF NOT EXISTS pg_partman SCHEMA partman;
-- Where archived months go (detached, kept until the operator drops them).
CREATE SCHEMA IF NOT EXISTS history_archive;

-- Month boundaries of `created_at` are UTC months whatever the server's
-- TimeZone (pg_partman computes them in the session's zone).
SET LOCAL TIME ZONE 'UTC';

CREATE TEMPORARY TABLE moving_sign_ins ON COMMIT DROP AS SELECT * FROM sign_ins;
CREATE TEMPORARY TABLE moving_ledger ON COMMIT DROP AS SELECT * FROM wallet_transactions;
DROP TABLE wallet_transactions;
ALTER TABLE frozen_days DROP CONSTRAINT frozen_days_sign_in_id_fkey;
DROP TABLE sign_ins;

CREATE TABLE sign_ins (
    id              BIGINT GENERATED ALWAYS AS IDENTITY,
    user_id         BIGINT      NOT NULL REFERENCES users (id),
    day             DATE        NOT NULL,
    cycle_day       SMALLINT    NOT NULL CONSTRAINT sign_ins_cycle_day_check CHECK (cycle_day BETWEEN 1 AND 7),
    streak          INTEGER     NOT NULL CONSTRAINT sign_ins_streak_check CHECK (streak >= 1),
    reward          BIGINT      NOT NULL CONSTRAINT sign_ins_reward_check CHECK (reward >= 0),
    created_at      TIMESTAMPTZ NOT NULL,
    enqueued_at     TIMESTAMPTZ,
    credited_at     TIMESTAMPTZ,
    made_up         BOOLEAN     NOT NULL DEFAULT false,
    milestone_bonus BIGINT      CONSTRAINT sign_ins_milestone_bonus_check CHECK (milestone_bonus > 0),
    schedule_id     BIGINT      NOT NULL CONSTRAINT sign_ins_schedule_id_fkey REFERENCES reward_schedules (id),
    CONSTRAINT sign_ins_made_up_check CHECK (NOT made_up OR (reward = 0 AND milestone_bonus IS NULL)),
    CONSTRAINT sign_ins_pkey PRIMARY KEY (id, day),
    CONSTRAINT sign_ins_user_day_key UNIQUE (user_id, day)
) PARTITION BY RANGE (day);
CREATE INDEX sign_ins_uncredited_idx ON sign_ins (created_at) WHERE credited_at IS NULL;
CREATE INDEX sign_ins_day_user_idx ON sign_ins (day, user_id);
CREATE INDEX sign_ins_made_up_idx ON sign_ins (user_id, created_at) WHERE made_up;

CREATE TABLE wallet_transactions (
    id              BIGINT GENERATED ALWAYS AS IDENTITY,
    user_id         BIGINT      NOT NULL REFERENCES wallets (user_id),
    amount          BIGINT      NOT NULL,
    kind            ledger_kind NOT NULL,
    balance_after   BIGINT      NOT NULL CONSTRAINT wallet_transactions_balance_after_check CHECK (balance_after >= 0),
    note            TEXT,
    idempotency_key TEXT,
    sign_in_id      BIGINT,
    created_at      TIMESTAMPTZ NOT NULL,
    CONSTRAINT wallet_transactions_check
        CHECK ((kind IN ('SIGN_IN_REWARD', 'MILESTONE_BONUS', 'MAKE_UP_FEE')) = (sign_in_id IS NOT NULL)),
    CONSTRAINT wallet_transactions_check1
        CHECK ((kind IN ('SIGN_IN_REWARD', 'MILESTONE_BONUS')) = (idempotency_key IS NULL)),
    CONSTRAINT wallet_transactions_pkey PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
CREATE INDEX wallet_transactions_user_idx ON wallet_transactions (user_id, id DESC);
-- The audit's and the export's joins from a sign-in to its rows.
CREATE INDEX wallet_transactions_sign_in_idx ON wallet_transactions (sign_in_id) WHERE sign_in_id IS NOT NULL;

-- The ledger's uniqueness rules that cannot include the month. `entry_id`
-- and `entry_created_at` find the row (its partition) again.
CREATE TABLE wallet_transaction_sign_in_keys (
    sign_in_id       BIGINT      NOT NULL,
    kind             ledger_kind NOT NULL,
    entry_id         BIGINT      NOT NULL,
    entry_created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT wallet_transactions_sign_in_kind_key PRIMARY KEY (sign_in_id, kind)
);
CREATE TABLE wallet_transaction_idempotency_keys (
    user_id          BIGINT      NOT NULL,
    idempotency_key  TEXT        NOT NULL,
    entry_id         BIGINT      NOT NULL,
    entry_created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT wallet_transactions_idempotency_key PRIMARY KEY (user_id, idempotency_key)
);

CREATE FUNCTION wallet_transactions_claim_keys() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO wallet_transaction_sign_in_keys (sign_in_id, kind, entry_id, entry_created_at)
        SELECT sign_in_id, kind, id, created_at FROM inserted WHERE sign_in_id IS NOT NULL;
    INSERT INTO wallet_transaction_idempotency_keys (user_id, idempotency_key, entry_id, entry_created_at)
        SELECT user_id, idempotency_key, id, created_at FROM inserted WHERE idempotency_key IS NOT NULL;
    RETURN NULL;
END;
$$;
CREATE TRIGGER wallet_transactions_claim_keys
    AFTER INSERT ON wallet_transactions REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION wallet_transactions_claim_keys();
CREATE TRIGGER wallet_transactions_no_update_delete
    BEFORE UPDATE OR DELETE ON wallet_transactions
    FOR EACH ROW EXECUTE FUNCTION wallet_transactions_append_only();
CREATE TRIGGER wallet_transactions_no_truncate
    BEFORE TRUNCATE ON wallet_transactions
    FOR EACH STATEMENT EXECUTE FUNCTION wallet_transactions_append_only();

-- Gives every partition of the ledger the TRUNCATE guard the parent has
-- (a TRUNCATE of one partition does not fire the parent's statement
-- trigger). Idempotent; returns how many partitions it guarded.
CREATE FUNCTION guard_history_partitions() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    child regclass;
    guarded integer := 0;
BEGIN
    FOR child IN
        SELECT i.inhrelid::regclass FROM pg_inherits i
         WHERE i.inhparent = 'public.wallet_transactions'::regclass
           AND NOT EXISTS (SELECT 1 FROM pg_trigger t
                            WHERE t.tgrelid = i.inhrelid AND t.tgname = 'wallet_transactions_no_truncate')
    LOOP
        EXECUTE format('CREATE TRIGGER wallet_transactions_no_truncate BEFORE TRUNCATE ON %s '
                       'FOR EACH STATEMENT EXECUTE FUNCTION wallet_transactions_append_only()', child);
        guarded := guarded + 1;
    END LOOP;
    RETURN guarded;
END;
$$;

-- Monthly partitions from the oldest month held (or this one), four
-- months ahead, and a default partition for anything outside them.
SELECT partman.create_parent(
    p_parent_table := 'public.sign_ins', p_control := 'day', p_type := 'native',
    p_interval := 'monthly', p_premake := 4, p_jobmon := false,
    p_start_partition := (SELECT to_char(date_trunc('month', least(min(day), current_date)), 'YYYY-MM-DD')
                            FROM moving_sign_ins));
SELECT partman.create_parent(
    p_parent_table := 'public.wallet_transactions', p_control := 'created_at', p_type := 'native',
    p_interval := 'monthly', p_premake := 4, p_jobmon := false,
    p_start_partition := (SELECT to_char(date_trunc('month', least(min(created_at), now())), 'YYYY-MM-DD')
                            FROM moving_ledger));
-- Retention is the history job's (it archives sums with the months it
-- detaches), never pg_partman's own.
UPDATE partman.part_config SET retention = NULL, infinite_time_partitions = true
 WHERE parent_table IN ('public.sign_ins', 'public.wallet_transactions');
SELECT guard_history_partitions();

INSERT INTO sign_ins OVERRIDING SYSTEM VALUE SELECT * FROM moving_sign_ins;
INSERT INTO wallet_transactions OVERRIDING SYSTEM VALUE SELECT * FROM moving_ledger;
SELECT setval(pg_get_serial_sequence('sign_ins', 'id'), coalesce(max(id), 0) + 1, false) FROM sign_ins;
SELECT setval(pg_get_serial_sequence('wallet_transactions', 'id'), coalesce(max(id), 0) + 1, false)
  FROM wallet_transactions;

-- The months archived by the history job, each with the bound its rows
-- are below, and each user's sums of the archived ledger rows: a wallet's
-- balance is its archived total plus the sum of its kept rows.
CREATE TABLE archived_history (
    partition_name TEXT        PRIMARY KEY,
    parent         TEXT        NOT NULL CHECK (parent IN ('sign_ins', 'wallet_transactions')),
    rows_below     TIMESTAMPTZ NOT NULL,
    row_count      BIGINT      NOT NULL,
    archived_at    TIMESTAMPTZ NOT NULL
);
CREATE TABLE archived_ledger_totals (
    user_id        BIGINT PRIMARY KEY REFERENCES wallets (user_id),
    amount         BIGINT NOT NULL,
    entries        BIGINT NOT NULL,
    freezes_bought BIGINT NOT NULL
);
-- Where the kept history starts (-infinity while nothing is archived),
-- and when sign-ins were last archived: no reward is credited, and no
-- make-up made, for an archived sign-in after its month went (a month
-- with rewards owed is not archived; make-ups stay in kept months).
CREATE VIEW history_kept_from AS
SELECT coalesce(max(rows_below) FILTER (WHERE parent = 'sign_ins'), '-infinity') AS sign_ins,
       coalesce(max(rows_below) FILTER (WHERE parent = 'wallet_transactions'), '-infinity') AS ledger,
       coalesce(max(archived_at) FILTER (WHERE parent = 'sign_ins'), '-infinity') AS sign_ins_archived_at
  FROM archived_history;
