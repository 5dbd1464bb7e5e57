//! The records the service keeps, as stored and as announced: typed ids,
//! the enums the database knows, and the rows other layers pass around.
//!
//! Depends on `diesel`, `serde`, `chrono` and `crate::schema` only, so that
//! every layer (store, cache, events, services, GraphQL) can share them.

mod admin_audit;
mod enums;
mod ids;
mod records;

pub use admin_audit::{AdminAction, AdminAuditEntry, AdminAuditEntryId, AuditFilter};
pub use enums::{LedgerKind, Role, WebhookDeliveryStatus, WebhookEventType};
pub use ids::{
    LedgerEntryId, ScheduleId, SessionId, SignInId, UserId, WebhookDeliveryId, WebhookEndpointId,
};
pub use records::{
    AttemptRow, DeliveryRow, EndpointRow, HistoryRow, LedgerEntry, ScheduleRow, Session, SignIn,
    SignInDates, SignInExportRow, User,
};
