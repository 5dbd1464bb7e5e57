DROP TABLE streak_reminders;
DROP INDEX users_live_time_zone;
CREATE INDEX sign_ins_day_idx ON sign_ins (day);
DROP INDEX sign_ins_day_user_idx;
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TYPE webhook_delivery_status;
DROP TABLE webhook_events;
DROP TABLE webhook_secrets;
DROP TABLE webhook_endpoints;
DROP TYPE webhook_event_type;
-- admin_action keeps the four webhook values: PostgreSQL cannot drop an
-- enum value, and rows of the append-only audit log may name them.
