ALTER TABLE webhook_deliveries ALTER COLUMN message_id
    SET DEFAULT 'msg_' || replace(gen_random_uuid()::text, '-', '');
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_endpoint_id_fkey
    FOREIGN KEY (endpoint_id) REFERENCES webhook_endpoints (id) ON DELETE CASCADE;
ALTER TABLE webhook_deliveries RESET (fillfactor);
ALTER TABLE webhook_deliveries DROP COLUMN leased_until;
