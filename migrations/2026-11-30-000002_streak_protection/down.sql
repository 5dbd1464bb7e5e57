-- Back to the schema before streak protection. Refuses (the type
-- conversion fails) while the ledger holds rows of the three new kinds: the
-- ledger is append-only, and they cannot be dropped without losing money.
DROP TABLE frozen_days;
ALTER TABLE wallets DROP COLUMN freezes_held;
DROP INDEX sign_ins_made_up_idx;
ALTER TABLE sign_ins
    DROP CONSTRAINT sign_ins_made_up_check,
    DROP COLUMN milestone_bonus,
    DROP COLUMN made_up;

ALTER TABLE wallet_transactions
    DROP CONSTRAINT wallet_transactions_check,
    DROP CONSTRAINT wallet_transactions_check1,
    DROP CONSTRAINT wallet_transactions_sign_in_kind_key;
ALTER TYPE ledger_kind RENAME TO ledger_kind_with_streak_protection;
CREATE TYPE ledger_kind AS ENUM ('SIGN_IN_REWARD', 'SPEND', 'ADJUSTMENT');
ALTER TABLE wallet_transactions
    ALTER COLUMN kind TYPE ledger_kind USING kind::text::ledger_kind,
    ADD CONSTRAINT wallet_transactions_check
        CHECK ((kind = 'SIGN_IN_REWARD') = (sign_in_id IS NOT NULL)),
    ADD CONSTRAINT wallet_transactions_check1
        CHECK ((kind = 'SIGN_IN_REWARD') = (idempotency_key IS NULL)),
    ADD CONSTRAINT wallet_transactions_sign_in_id_key UNIQUE (sign_in_id);
DROP TYPE ledger_kind_with_streak_protection;
