//! The sign-ins export's read: one server-side cursor over the range, in
//! the export's order, fetched in chunks. A cursor (rather than pages of
//! keyset queries) runs the query once, on one snapshot, so a 5-million-row
//! export neither re-sorts nor sees rows move between chunks; the caller's
//! transaction holds it, and ending that transaction (commit, rollback, a
//! dropped connection) ends the query.

use chrono::NaiveDate;
use diesel::sql_types::Date;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::StoreError;
use crate::model::SignInExportRow;

/// The cursor's name (one export per connection at a time).
const CURSOR: &str = "signin_export";

/// `application_name` of the export's session while its transaction runs,
/// so an operator (and the tests) can see it in `pg_stat_activity`.
pub const APPLICATION_NAME: &str = "signin-export";

/// Opens the cursor over every sign-in dated `from..=to` with its user's
/// name, ordered by date then user id. Call inside a transaction.
pub async fn open_sign_ins(
    conn: &mut AsyncPgConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(), StoreError> {
    diesel::sql_query(format!(
        "SELECT set_config('application_name', '{APPLICATION_NAME}', true)"
    ))
    .execute(conn)
    .await?;
    diesel::sql_query(format!(
        "DECLARE {CURSOR} NO SCROLL CURSOR FOR \
         SELECT s.user_id, u.username, s.day, s.cycle_day, s.streak, s.reward, \
                s.made_up, s.credited_at IS NOT NULL AS credited \
         FROM sign_ins s JOIN users u ON u.id = s.user_id \
         WHERE s.day BETWEEN $1 AND $2 \
         ORDER BY s.day, s.user_id"
    ))
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .execute(conn)
    .await?;
    Ok(())
}

/// The next `rows` rows of the open cursor; fewer (or none) at the end.
pub async fn fetch_sign_ins(
    conn: &mut AsyncPgConnection,
    rows: u32,
) -> Result<Vec<SignInExportRow>, StoreError> {
    Ok(
        diesel::sql_query(format!("FETCH FORWARD {rows} FROM {CURSOR}"))
            .load(conn)
            .await?,
    )
}
