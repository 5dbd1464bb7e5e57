// Diesel's view of migrations/. Kept by hand; `tests/store_schema.rs` checks
// that every column here exists in a freshly migrated database.

diesel::table! {
    users (id) {
        id -> Int8,
        username -> Text,
        password_hash -> Text,
        role -> Text,
        token_version -> Int4,
        created_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    wallets (user_id) {
        user_id -> Int8,
        balance -> Int8,
        updated_at -> Timestamptz,
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
    }
}

diesel::table! {
    wallet_transactions (id) {
        id -> Int8,
        user_id -> Int8,
        amount -> Int8,
        kind -> Text,
        balance_after -> Int8,
        note -> Nullable<Text>,
        idempotency_key -> Nullable<Text>,
        sign_in_id -> Nullable<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(wallets -> users (user_id));
diesel::joinable!(sign_ins -> users (user_id));
diesel::joinable!(wallet_transactions -> wallets (user_id));

diesel::allow_tables_to_appear_in_same_query!(users, wallets, sign_ins, wallet_transactions);
