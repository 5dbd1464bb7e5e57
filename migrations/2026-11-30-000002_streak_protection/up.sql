-- Streak protection and milestones (contract, "Streak protection and
-- milestones"): made-up dates, milestone bonuses, streak freezes held and
-- used, and the three ledger kinds that pay for them or credit them.
--
-- Existing rows keep their meaning: every existing sign-in is a normal one
-- (made_up false, no bonus) at the position it has, and every wallet holds
-- no freeze.

-- A new enum value cannot be used in the transaction that adds it (the
-- CHECKs below name the new kinds), so the type is made again with all six
-- values and the column converted through text: one table rewrite. The
-- constraints that name `kind` are dropped and made again with the new
-- rules:
-- * a sign-in's reward, its milestone bonus and a make-up's fee point at
--   the sign-in (`sign_in_id`), the others do not;
-- * only the job's credits (reward, bonus) come without an idempotency key;
-- * each sign-in is credited each kind at most once (reward once, bonus
--   once): a second delivery of the job is a no-op.
ALTER TABLE wallet_transactions
    DROP CONSTRAINT wallet_transactions_check,
    DROP CONSTRAINT wallet_transactions_check1,
    DROP CONSTRAINT wallet_transactions_sign_in_id_key;
ALTER TYPE ledger_kind RENAME TO ledger_kind_before_streak_protection;
CREATE TYPE ledger_kind AS ENUM (
    'SIGN_IN_REWARD', 'SPEND', 'ADJUSTMENT', 'MAKE_UP_FEE', 'STREAK_FREEZE', 'MILESTONE_BONUS'
);
ALTER TABLE wallet_transactions
    ALTER COLUMN kind TYPE ledger_kind USING kind::text::ledger_kind,
    ADD CONSTRAINT wallet_transactions_check
        CHECK ((kind IN ('SIGN_IN_REWARD', 'MILESTONE_BONUS', 'MAKE_UP_FEE')) = (sign_in_id IS NOT NULL)),
    ADD CONSTRAINT wallet_transactions_check1
        CHECK ((kind IN ('SIGN_IN_REWARD', 'MILESTONE_BONUS')) = (idempotency_key IS NULL)),
    ADD CONSTRAINT wallet_transactions_sign_in_kind_key UNIQUE (sign_in_id, kind);
DROP TYPE ledger_kind_before_streak_protection;

-- A made-up date earns nothing (its reward is 0, it has no bonus) and has
-- nothing for the job to credit, so it is written already credited.
-- `milestone_bonus` is the bonus a sign-in earned when it happened; the job
-- credits it with the reward.
ALTER TABLE sign_ins
    ADD COLUMN made_up BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN milestone_bonus BIGINT CHECK (milestone_bonus > 0),
    ADD CONSTRAINT sign_ins_made_up_check
        CHECK (NOT made_up OR (reward = 0 AND milestone_bonus IS NULL));
-- The monthly make-up count: a user's make-ups by when they were made.
CREATE INDEX sign_ins_made_up_idx ON sign_ins (user_id, created_at) WHERE made_up;

-- Freezes bought and not used yet. The upper bound is a setting
-- (SIGNIN_MAX_FREEZES) and is checked by the service under the wallet lock.
ALTER TABLE wallets
    ADD COLUMN freezes_held INTEGER NOT NULL DEFAULT 0 CHECK (freezes_held >= 0);

-- The missed dates a streak freeze covered, each with the sign-in that used
-- the freeze. One outcome per date: a date here is never also in sign_ins
-- for the same user (every change to a user's chain holds the wallet lock,
-- and `signin-rewards audit` checks it).
CREATE TABLE frozen_days (
    user_id    BIGINT      NOT NULL REFERENCES users (id),
    day        DATE        NOT NULL,
    sign_in_id BIGINT      NOT NULL REFERENCES sign_ins (id),
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, day)
);
CREATE INDEX frozen_days_day_idx ON frozen_days (day);
