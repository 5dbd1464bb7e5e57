// Diesel's view of migrations/. Kept by hand, in the form `diesel
// print-schema` writes (`diesel.toml`).

pub mod sql_types {
    /// The PostgreSQL enum `user_role` (`crate::model::Role`).
    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "user_role"))]
    pub struct UserRole;

    /// The PostgreSQL enum `ledger_kind` (`crate::model::LedgerKind`).
    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "ledger_kind"))]
    pub struct LedgerKind;

    /// The PostgreSQL enum `admin_action` (`crate::model::AdminAction`).
    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "admin_action"))]
    pub struct AdminAction;

    /// The PostgreSQL enum `webhook_event_type` (`crate::model::WebhookEventType`).
    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "webhook_event_type"))]
    pub struct WebhookEventType;

    /// The PostgreSQL enum `webhook_delivery_status` (`crate::model::WebhookDeliveryStatus`).
    #[derive(diesel::query_builder::QueryId, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "webhook_delivery_status"))]
    pub struct WebhookDeliveryStatus;
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::UserRole;

    users (id) {
        id -> Int8,
        username -> Text,
        password_hash -> Text,
        role -> UserRole,
        token_version -> Int4,
        created_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
        live_sessions -> Array<Int8>,
        time_zone -> Text,
        registered_on -> Date,
        time_zone_changed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    time_zone_changes (id) {
        id -> Int8,
        user_id -> Int8,
        changed_at -> Timestamptz,
        from_zone -> Text,
        to_zone -> Text,
        jumped_date -> Nullable<Date>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Int8,
        user_id -> Int8,
        created_at -> Timestamptz,
        last_used_at -> Timestamptz,
        expires_at -> Timestamptz,
        user_agent -> Nullable<Text>,
        ended_at -> Nullable<Timestamptz>,
        ended_reason -> Nullable<Text>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Int8,
        session_id -> Int8,
        token_hash -> Bytea,
        replaces -> Nullable<Int8>,
        created_at -> Timestamptz,
        spent_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    wallets (user_id) {
        user_id -> Int8,
        balance -> Int8,
        updated_at -> Timestamptz,
        freezes_held -> Int4,
    }
}

diesel::table! {
    sign_ins (id) {
        id -> Int8,
        user_id -> Int8,
        day -> Date,
        cycle_day -> Int2,
        streak -> Int4,
        reward -> Int8,
        created_at -> Timestamptz,
        enqueued_at -> Nullable<Timestamptz>,
        credited_at -> Nullable<Timestamptz>,
        made_up -> Bool,
        milestone_bonus -> Nullable<Int8>,
        schedule_id -> Int8,
    }
}

diesel::table! {
    reward_schedules (id) {
        id -> Int8,
        rewards -> Array<Int4>,
        effective_from -> Date,
        effective_to -> Nullable<Date>,
        note -> Text,
        created_at -> Timestamptz,
        created_by -> Nullable<Int8>,
        cancelled_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    frozen_days (user_id, day) {
        user_id -> Int8,
        day -> Date,
        sign_in_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::LedgerKind;

    wallet_transactions (id) {
        id -> Int8,
        user_id -> Int8,
        amount -> Int8,
        kind -> LedgerKind,
        balance_after -> Int8,
        note -> Nullable<Text>,
        idempotency_key -> Nullable<Text>,
        sign_in_id -> Nullable<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    /// The ledger's "an idempotency key is used once per user" rule, kept
    /// outside the partitioned ledger (filled by its insert trigger).
    wallet_transaction_idempotency_keys (user_id, idempotency_key) {
        user_id -> Int8,
        idempotency_key -> Text,
        entry_id -> Int8,
        entry_created_at -> Timestamptz,
    }
}

diesel::joinable!(wallets -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(time_zone_changes -> users (user_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));
diesel::joinable!(sign_ins -> users (user_id));
diesel::joinable!(wallet_transactions -> wallets (user_id));
diesel::joinable!(sign_ins -> reward_schedules (schedule_id));
diesel::joinable!(frozen_days -> sign_ins (sign_in_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    wallets,
    sign_ins,
    wallet_transactions,
    wallet_transaction_idempotency_keys,
    reward_schedules,
    frozen_days,
    sessions,
    refresh_tokens,
    time_zone_changes
);

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::AdminAction;

    admin_audit_log (id) {
        id -> Int8,
        action -> AdminAction,
        actor_id -> Nullable<Int8>,
        target_user_id -> Nullable<Int8>,
        details -> Text,
        request_id -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::allow_tables_to_appear_in_same_query!(admin_audit_log, users);

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::WebhookEventType;

    webhook_endpoints (id) {
        id -> Int8,
        url -> Text,
        events -> Array<WebhookEventType>,
        description -> Text,
        enabled -> Bool,
        disabled_reason -> Nullable<Text>,
        failing_since -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        created_by -> Nullable<Int8>,
        deleted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    webhook_secrets (id) {
        id -> Int8,
        endpoint_id -> Int8,
        secret -> Text,
        created_at -> Timestamptz,
        expires_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::WebhookEventType;

    webhook_events (id) {
        id -> Int8,
        event_key -> Text,
        event_type -> WebhookEventType,
        user_id -> Nullable<Int8>,
        body -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::WebhookDeliveryStatus;

    webhook_deliveries (id) {
        id -> Int8,
        event_id -> Int8,
        endpoint_id -> Int8,
        message_id -> Text,
        status -> WebhookDeliveryStatus,
        attempts -> Int4,
        next_attempt_at -> Nullable<Timestamptz>,
        enqueued_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        leased_until -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> Int8,
        delivery_id -> Int8,
        attempted_at -> Timestamptz,
        status_code -> Nullable<Int4>,
        error -> Nullable<Text>,
        duration_ms -> Int4,
    }
}

diesel::joinable!(webhook_secrets -> webhook_endpoints (endpoint_id));
diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));
diesel::joinable!(webhook_deliveries -> webhook_events (event_id));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));

diesel::allow_tables_to_appear_in_same_query!(
    webhook_endpoints,
    webhook_secrets,
    webhook_events,
    webhook_deliveries,
    webhook_attempts,
);
