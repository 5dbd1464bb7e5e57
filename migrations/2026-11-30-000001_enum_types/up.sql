-- Roles and ledger kinds become PostgreSQL enums, with the same upper-case
-- values the text columns held, so an unknown value cannot be stored at all
-- (the service maps each type once: crate::model::{Role, LedgerKind}).
--
-- The CHECKs that listed the allowed values are implied by the types and
-- go. The two that compare `kind` with a text literal cannot follow the
-- column's new type by themselves: they are dropped and made again, same
-- names, same meaning. Each table is altered in one statement, so it is
-- rewritten (and the new CHECKs validated) once. A rewrite fires no row
-- triggers, so the ledger's append-only triggers do not object.
CREATE TYPE user_role AS ENUM ('USER', 'ADMIN');
CREATE TYPE ledger_kind AS ENUM ('SIGN_IN_REWARD', 'SPEND', 'ADJUSTMENT');

ALTER TABLE users
    DROP CONSTRAINT users_role_check,
    ALTER COLUMN role DROP DEFAULT,
    ALTER COLUMN role TYPE user_role USING role::user_role,
    ALTER COLUMN role SET DEFAULT 'USER';

ALTER TABLE wallet_transactions
    DROP CONSTRAINT wallet_transactions_kind_check,
    DROP CONSTRAINT wallet_transactions_check,
    DROP CONSTRAINT wallet_transactions_check1,
    ALTER COLUMN kind TYPE ledger_kind USING kind::ledger_kind,
    ADD CONSTRAINT wallet_transactions_check
        CHECK ((kind = 'SIGN_IN_REWARD') = (sign_in_id IS NOT NULL)),
    ADD CONSTRAINT wallet_transactions_check1
        CHECK ((kind = 'SIGN_IN_REWARD') = (idempotency_key IS NULL));
