ALTER TABLE streak_reminders ADD CONSTRAINT streak_reminders_event_id_fkey
    FOREIGN KEY (event_id) REFERENCES webhook_events (id);
ALTER TABLE streak_reminders ADD CONSTRAINT streak_reminders_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_event_id_fkey
    FOREIGN KEY (event_id) REFERENCES webhook_events (id);
ALTER TABLE webhook_events ADD CONSTRAINT webhook_events_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES users (id);
