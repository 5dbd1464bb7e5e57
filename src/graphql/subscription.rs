//! Live updates of the caller's own sign-ins and wallet, whichever replica
//! or worker made them (see `events`).

use async_graphql::{Context, Subscription};
use futures::Stream;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::OwnedSemaphorePermit;

use super::context::{caller, state, SubscriptionSlots};
use super::errors::{ApiError, ApiResult};
use super::types::sign_in::SignInStatus;
use super::types::wallet::WalletTransaction;
use crate::events::{Event, EventError};
use crate::service::ServiceError;

#[derive(Default)]
pub struct Subscription;

/// Counts live subscriptions while it exists, and holds the connection's
/// subscription slot.
struct Live(#[allow(dead_code)] Option<OwnedSemaphorePermit>);

impl Live {
    fn start(ctx: &Context<'_>) -> Result<Self, ServiceError> {
        let permit = match ctx.data_opt::<SubscriptionSlots>() {
            Some(slots) => Some(slots.0.clone().try_acquire_owned().map_err(|_| {
                ServiceError::RateLimited {
                    retry_after: std::time::Duration::from_secs(1),
                }
            })?),
            None => None,
        };
        metrics::gauge!("signin_live_subscriptions").increment(1.0);
        Ok(Live(permit))
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        metrics::gauge!("signin_live_subscriptions").decrement(1.0);
    }
}

/// The caller's events, mapped by `pick`. A subscriber that falls too far
/// behind gets an error and its stream ends, so a slow consumer cannot make
/// the server buffer without bound.
async fn events_of<T: Send + 'static>(
    ctx: &Context<'_>,
    pick: fn(&Event) -> Option<T>,
) -> ApiResult<impl Stream<Item = Result<T, ApiError>> + use<T>> {
    let me = caller(ctx).await?;
    let live = Live::start(ctx)?;
    let receiver = state(ctx)?.hub.subscribe(me.user_id);
    Ok(futures::stream::unfold(
        (Some(receiver), live),
        move |(receiver, live)| async move {
            let mut receiver = receiver?;
            loop {
                match receiver.recv().await {
                    Ok(event) => {
                        if let Some(item) = pick(&event) {
                            return Some((Ok(item), (Some(receiver), live)));
                        }
                    }
                    Err(RecvError::Lagged(missed)) => {
                        metrics::counter!("signin_subscribers_dropped_total").increment(1);
                        let error = ServiceError::from(EventError::Lagged { missed });
                        return Some((Err(ApiError::from(error)), (None, live)));
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        },
    ))
}

#[Subscription]
impl Subscription {
    /// The caller's status, pushed after each of their sign-ins, whichever server replica took it.
    async fn streak_updated(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = Result<SignInStatus, ApiError>>, ApiError> {
        events_of(ctx, |event| match event {
            Event::StreakUpdated { status, .. } => Some(SignInStatus(status.clone())),
            _ => None,
        })
        .await
    }

    /// The caller's wallet transactions as they commit (rewards credited, spends, adjustments).
    async fn wallet_updated(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = Result<WalletTransaction, ApiError>>, ApiError> {
        events_of(ctx, |event| match event {
            Event::WalletUpdated { transaction, .. } => {
                Some(WalletTransaction(transaction.clone()))
            }
            _ => None,
        })
        .await
    }
}
