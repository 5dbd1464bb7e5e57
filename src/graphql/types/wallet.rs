use async_graphql::{Context, Enum, Object, SimpleObject, ID};

use super::ids::{decode_cursor, encode_cursor, page_size};
use super::scalars::DateTime;
use crate::graphql::context::state;
use crate::graphql::errors::ApiResult;
use crate::graphql::loaders::Loaders;
use crate::model::{LedgerEntry, LedgerEntryId, LedgerKind, UserId};
use crate::service::{wallet, ServiceError};

pub const TRANSACTION_CURSOR: &str = "tx";

#[derive(SimpleObject)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

pub struct Wallet {
    pub user_id: UserId,
    /// The balance, when it was read ahead with the user's list.
    pub balance: Option<i64>,
}

#[Object]
impl Wallet {
    async fn balance(&self, ctx: &Context<'_>) -> ApiResult<i32> {
        if let Some(balance) = self.balance {
            return Ok(i32::try_from(balance).unwrap_or(i32::MAX));
        }
        let balance = Loaders::of(ctx)?
            .balance
            .load_one(self.user_id)
            .await?
            .ok_or(ServiceError::NotFound("wallet"))?;
        Ok(i32::try_from(balance).unwrap_or(i32::MAX))
    }

    /// Newest first.
    async fn transactions(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<WalletTransactionConnection> {
        let first = page_size(first)?;
        let before_id = after
            .as_deref()
            .map(|c| decode_cursor(TRANSACTION_CURSOR, c).map(LedgerEntryId))
            .transpose()?;
        let (rows, has_next_page) =
            wallet::transactions(state(ctx)?, self.user_id, first, before_id).await?;
        let edges: Vec<WalletTransactionEdge> = rows
            .into_iter()
            .map(|row| WalletTransactionEdge {
                cursor: encode_cursor(TRANSACTION_CURSOR, row.id),
                node: WalletTransaction(row),
            })
            .collect();
        let end_cursor = edges.last().map(|e| e.cursor.clone());
        Ok(WalletTransactionConnection {
            edges,
            page_info: PageInfo {
                has_next_page,
                end_cursor,
            },
        })
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum WalletTransactionKind {
    SignInReward,
    Spend,
    Adjustment,
}

impl From<LedgerKind> for WalletTransactionKind {
    fn from(k: LedgerKind) -> Self {
        match k {
            LedgerKind::SignInReward => WalletTransactionKind::SignInReward,
            LedgerKind::Spend => WalletTransactionKind::Spend,
            LedgerKind::Adjustment => WalletTransactionKind::Adjustment,
        }
    }
}

pub struct WalletTransaction(pub LedgerEntry);

#[Object]
impl WalletTransaction {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn amount(&self) -> i32 {
        i32::try_from(self.0.amount).unwrap_or(if self.0.amount < 0 {
            i32::MIN
        } else {
            i32::MAX
        })
    }

    async fn kind(&self) -> WalletTransactionKind {
        self.0.kind.into()
    }

    async fn balance_after(&self) -> i32 {
        i32::try_from(self.0.balance_after).unwrap_or(i32::MAX)
    }

    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
}

#[derive(SimpleObject)]
pub struct WalletTransactionEdge {
    pub cursor: String,
    pub node: WalletTransaction,
}

#[derive(SimpleObject)]
pub struct WalletTransactionConnection {
    pub edges: Vec<WalletTransactionEdge>,
    pub page_info: PageInfo,
}
