-- Reward schedules (contract, "Running the programme (admin)"): what a
-- sign-in earns is set by the schedule in force on its date. A base
-- schedule (effective_to NULL) is in force from effective_from until the
-- next base; a campaign (effective_to set) overrides the base on its dates,
-- both ends included. created_by is NULL for the schedule read from
-- SIGNIN_REWARDS (see service::schedules::ensure_config_schedule).
CREATE TABLE reward_schedules (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Cycle days 1..7.
    rewards        INTEGER[]   NOT NULL
        CHECK (cardinality(rewards) = 7 AND array_ndims(rewards) = 1
               AND 0 <= ALL (rewards) AND 1000000 >= ALL (rewards)),
    effective_from DATE        NOT NULL,
    effective_to   DATE        CHECK (effective_to >= effective_from),
    note           TEXT        NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    created_by     BIGINT      REFERENCES users (id),
    cancelled_at   TIMESTAMPTZ
);
-- Two live base schedules never start on the same date, and two live
-- campaigns never overlap, whatever races: the service checks both first
-- (under a lock, to name the argument), these are the backstop.
CREATE UNIQUE INDEX reward_schedules_live_base_start_key
    ON reward_schedules (effective_from)
    WHERE effective_to IS NULL AND cancelled_at IS NULL;
ALTER TABLE reward_schedules
    ADD CONSTRAINT reward_schedules_live_campaigns_overlap
    EXCLUDE USING gist (daterange(effective_from, effective_to, '[]') WITH &&)
    WHERE (effective_to IS NOT NULL AND cancelled_at IS NULL);

-- Schedules are never edited: the one change allowed is setting
-- cancelled_at, once. No row is ever deleted (sign-ins name the schedule
-- that paid them).
CREATE FUNCTION reward_schedules_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.cancelled_at IS NULL AND NEW.cancelled_at IS NOT NULL
       AND (NEW.id, NEW.rewards, NEW.effective_from, NEW.effective_to, NEW.note,
            NEW.created_at, NEW.created_by)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.rewards, OLD.effective_from, OLD.effective_to, OLD.note,
            OLD.created_at, OLD.created_by)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'reward_schedules rows are never edited (only cancelled, once)';
END;
$$;
CREATE TRIGGER reward_schedules_no_edit
    BEFORE UPDATE OR DELETE ON reward_schedules
    FOR EACH ROW EXECUTE FUNCTION reward_schedules_immutable();
CREATE TRIGGER reward_schedules_no_truncate
    BEFORE TRUNCATE ON reward_schedules
    FOR EACH STATEMENT EXECUTE FUNCTION reward_schedules_immutable();

-- Existing sign-ins were paid by the table SIGNIN_REWARDS held: they get
-- the first base schedule, in force from the beginning. Its rewards are
-- the service's setting when `signin-rewards migrate` (or serve, worker)
-- applies this (store::migrate passes it as signin.rewards); without it
-- (another migration tool), the contract's default. On an install with no
-- sign-in yet nothing is inserted here: the service writes the first
-- schedule from its setting when it starts.
INSERT INTO reward_schedules (rewards, effective_from, effective_to, note, created_at, created_by)
SELECT string_to_array(
           coalesce(nullif(current_setting('signin.rewards', true), ''), '10,10,20,20,30,30,100'),
           ',')::INTEGER[],
       DATE '1970-01-01', NULL, 'SIGNIN_REWARDS', now(), NULL
WHERE EXISTS (SELECT 1 FROM sign_ins);

-- The column is added with the first schedule's id as its default, which
-- PostgreSQL records once instead of rewriting every row (an UPDATE would
-- write a new version of each of millions of rows); the default then goes,
-- so every new sign-in must name its schedule.
DO $$
DECLARE
    first_id BIGINT := (SELECT min(id) FROM reward_schedules);
BEGIN
    IF first_id IS NULL THEN
        ALTER TABLE sign_ins ADD COLUMN schedule_id BIGINT NOT NULL;
    ELSE
        EXECUTE format('ALTER TABLE sign_ins ADD COLUMN schedule_id BIGINT NOT NULL DEFAULT %s',
                       first_id);
        ALTER TABLE sign_ins ALTER COLUMN schedule_id DROP DEFAULT;
    END IF;
END;
$$;
ALTER TABLE sign_ins ADD CONSTRAINT sign_ins_schedule_id_fkey
    FOREIGN KEY (schedule_id) REFERENCES reward_schedules (id);
