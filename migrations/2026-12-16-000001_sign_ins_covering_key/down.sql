-- The key without included columns, as 2026-12-11-000001_partitioned_history made it.
ALTER TABLE sign_ins
    DROP CONSTRAINT sign_ins_user_day_key,
    ADD CONSTRAINT sign_ins_user_day_key UNIQUE (user_id, day);
