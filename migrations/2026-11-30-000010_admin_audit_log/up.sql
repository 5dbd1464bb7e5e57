-- The admin audit log: one row per admin action, written in the same
-- transaction as the change it records (so there is never one without the
-- other), and append-only like the ledger: triggers refuse UPDATE, DELETE
-- and TRUNCATE, so not even the service can rewrite history.
CREATE TYPE admin_action AS ENUM (
    'deleteUser',
    'setUserRole',
    'adjustWallet',
    'publishRewardSchedule',
    'cancelRewardSchedule',
    'create-admin'
);

CREATE TABLE admin_audit_log (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    action         admin_action NOT NULL,
    -- NULL when the action was taken from the command line (create-admin).
    actor_id       BIGINT       REFERENCES users (id),
    target_user_id BIGINT       REFERENCES users (id),
    -- The action's arguments as a JSON object, kept as the text the
    -- service wrote (a client reads it back verbatim); the CHECK makes
    -- anything else impossible to store.
    details        TEXT         NOT NULL CHECK (jsonb_typeof(details::jsonb) = 'object'),
    request_id     TEXT         CHECK (char_length(request_id) BETWEEN 1 AND 64),
    created_at     TIMESTAMPTZ  NOT NULL
);
-- `adminAuditLog` pages newest first, optionally by actor or by target.
CREATE INDEX admin_audit_log_actor_idx ON admin_audit_log (actor_id, id DESC);
CREATE INDEX admin_audit_log_target_idx ON admin_audit_log (target_user_id, id DESC);

CREATE FUNCTION admin_audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'admin_audit_log is append-only';
END;
$$;
CREATE TRIGGER admin_audit_log_no_update_delete
    BEFORE UPDATE OR DELETE ON admin_audit_log
    FOR EACH ROW EXECUTE FUNCTION admin_audit_log_append_only();
CREATE TRIGGER admin_audit_log_no_truncate
    BEFORE TRUNCATE ON admin_audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION admin_audit_log_append_only();
