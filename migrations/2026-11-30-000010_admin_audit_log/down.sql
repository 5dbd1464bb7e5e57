DROP TABLE admin_audit_log;
DROP FUNCTION admin_audit_log_append_only();
DROP TYPE admin_action;
