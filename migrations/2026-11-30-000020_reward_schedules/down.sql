-- The sign-ins keep their rewards (the amounts paid); only the record of
-- which schedule paid them goes, with the schedules.
ALTER TABLE sign_ins DROP COLUMN schedule_id;
DROP TABLE reward_schedules;
DROP FUNCTION reward_schedules_immutable();
