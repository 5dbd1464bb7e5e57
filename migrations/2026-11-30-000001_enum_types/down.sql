-- Back to the text columns and CHECKs of 2026-11-25-000001_core, names
-- included.
ALTER TABLE wallet_transactions
    DROP CONSTRAINT wallet_transactions_check,
    DROP CONSTRAINT wallet_transactions_check1,
    ALTER COLUMN kind TYPE TEXT USING kind::text,
    ADD CONSTRAINT wallet_transactions_kind_check
        CHECK (kind IN ('SIGN_IN_REWARD', 'SPEND', 'ADJUSTMENT')),
    ADD CONSTRAINT wallet_transactions_check
        CHECK ((kind = 'SIGN_IN_REWARD') = (sign_in_id IS NOT NULL)),
    ADD CONSTRAINT wallet_transactions_check1
        CHECK ((kind = 'SIGN_IN_REWARD') = (idempotency_key IS NULL));

ALTER TABLE users
    ALTER COLUMN role DROP DEFAULT,
    ALTER COLUMN role TYPE TEXT USING role::text,
    ALTER COLUMN role SET DEFAULT 'USER',
    ADD CONSTRAINT users_role_check CHECK (role IN ('USER', 'ADMIN'));

DROP TYPE ledger_kind;
DROP TYPE user_role;
