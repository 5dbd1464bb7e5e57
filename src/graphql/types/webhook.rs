//! Webhooks as the API shows them (contract, "Webhooks and streak
//! reminders"): endpoints (never their secrets, but in the answer that
//! makes one), messages and their attempts.

use async_graphql::{Enum, Object, SimpleObject, ID};

use super::paging::{edges, PageInfo};
use super::scalars::DateTime;
use crate::model;
use crate::model::EndpointRow;
use crate::service::webhooks::DeliveryWithAttempts;
use crate::service::Page;

/// The cursor kind of `webhookDeliveries`.
pub const DELIVERY_CURSOR: &str = "webhook-delivery";

#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(remote = "model::WebhookEventType")]
pub enum WebhookEventType {
    SignInRecorded,
    RewardCredited,
    MilestoneReached,
    StreakFreezeUsed,
    StreakAtRisk,
    StreakLost,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(remote = "model::WebhookDeliveryStatus")]
pub enum WebhookDeliveryStatus {
    Pending,
    Delivered,
    Failed,
}

pub struct WebhookEndpoint(pub EndpointRow);

#[Object]
impl WebhookEndpoint {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn url(&self) -> &str {
        &self.0.url
    }

    async fn events(&self) -> Vec<WebhookEventType> {
        self.0.events.iter().map(|e| (*e).into()).collect()
    }

    async fn description(&self) -> &str {
        &self.0.description
    }

    /// False once disabled by an admin, by a 410 answer, or after 5 days of failed attempts.
    async fn enabled(&self) -> bool {
        self.0.enabled
    }

    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    /// Why the service disabled it (a 410 answer, 5 days of failures); null otherwise. Not in the contract: for the admin page.
    async fn disabled_reason(&self) -> Option<&str> {
        self.0.disabled_reason.as_deref()
    }
}

/// An endpoint and its signing secret, shown only in this answer.
#[derive(SimpleObject)]
pub struct WebhookEndpointWithSecret {
    pub endpoint: WebhookEndpoint,
    /// whsec_ followed by base64.
    pub secret: String,
}

#[derive(SimpleObject)]
pub struct WebhookAttempt {
    pub at: DateTime,
    /// The HTTP status, or null when none came (timeout, connection error).
    pub http_status: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i32,
}

/// One message to one endpoint, with every attempt to deliver it.
pub struct WebhookDelivery(pub DeliveryWithAttempts);

#[Object]
impl WebhookDelivery {
    /// The webhook-id header.
    async fn id(&self) -> ID {
        ID(self.0 .0.message_id.clone())
    }

    async fn event_type(&self) -> WebhookEventType {
        self.0 .0.event_type.into()
    }

    async fn status(&self) -> WebhookDeliveryStatus {
        self.0 .0.status.into()
    }

    /// The JSON body sent.
    async fn payload(&self) -> &str {
        &self.0 .0.body
    }

    async fn created_at(&self) -> DateTime {
        DateTime(self.0 .0.created_at)
    }

    #[graphql(complexity = "crate::graphql::complexity::list(8, child_complexity)")]
    async fn attempts(&self) -> Vec<WebhookAttempt> {
        self.0
             .1
            .iter()
            .map(|a| WebhookAttempt {
                at: DateTime(a.attempted_at),
                http_status: a.status_code,
                error: a.error.clone(),
                duration_ms: a.duration_ms,
            })
            .collect()
    }

    async fn next_attempt_at(&self) -> Option<DateTime> {
        match self.0 .0.status {
            model::WebhookDeliveryStatus::Pending => self.0 .0.next_attempt_at.map(DateTime),
            _ => None,
        }
    }
}

#[derive(SimpleObject)]
pub struct WebhookDeliveryEdge {
    pub cursor: String,
    pub node: WebhookDelivery,
}

#[derive(SimpleObject)]
pub struct WebhookDeliveryConnection {
    pub edges: Vec<WebhookDeliveryEdge>,
    pub page_info: PageInfo,
}

/// The connection of a page of messages.
pub fn delivery_connection(page: Page<DeliveryWithAttempts>) -> WebhookDeliveryConnection {
    let (edges, page_info) = edges(
        DELIVERY_CURSOR,
        page,
        |row| row.0.id,
        |cursor, row| WebhookDeliveryEdge {
            cursor,
            node: WebhookDelivery(row),
        },
    );
    WebhookDeliveryConnection { edges, page_info }
}
