use async_graphql::{Context, Enum, Object, SimpleObject, ID};

use super::paging::{edges, PageArgs, PageInfo};
use super::scalars::{graphql_int, DateTime};
use crate::graphql::context::state;
use crate::graphql::errors::ApiResult;
use crate::graphql::loaders::Loaders;
use crate::model::{LedgerEntry, LedgerEntryId, LedgerKind, UserId};
use crate::service::{wallet, ServiceError};

pub const TRANSACTION_CURSOR: &str = "tx";

pub struct Wallet {
    pub user_id: UserId,
    /// The balance, when it was read ahead with the user's list.
    pub balance: Option<i64>,
}

#[Object]
impl Wallet {
    async fn balance(&self, ctx: &Context<'_>) -> ApiResult<i32> {
        if let Some(balance) = self.balance {
            return Ok(graphql_int(balance));
        }
        let balance = Loaders::of(ctx)?
            .balance
            .load_one(self.user_id)
            .await?
            .ok_or(ServiceError::NotFound("wallet"))?;
        Ok(graphql_int(balance))
    }

    /// Newest first.
    #[graphql(
        complexity = "crate::graphql::complexity::list(crate::graphql::complexity::page(first), child_complexity)"
    )]
    async fn transactions(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<WalletTransactionConnection> {
        let page = PageArgs::parse(TRANSACTION_CURSOR, first, after.as_deref())?;
        let rows = wallet::transactions(
            state(ctx)?,
            self.user_id,
            page.first,
            page.after.map(LedgerEntryId),
        )
        .await?;
        let (edges, page_info) = edges(
            TRANSACTION_CURSOR,
            rows,
            |row| row.id,
            |cursor, row| WalletTransactionEdge {
                cursor,
                node: WalletTransaction(row),
            },
        );
        Ok(WalletTransactionConnection { edges, page_info })
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum WalletTransactionKind {
    SignInReward,
    Spend,
    Adjustment,
    MakeUpFee,
    StreakFreeze,
    MilestoneBonus,
}

impl From<LedgerKind> for WalletTransactionKind {
    fn from(k: LedgerKind) -> Self {
        match k {
            LedgerKind::SignInReward => WalletTransactionKind::SignInReward,
            LedgerKind::Spend => WalletTransactionKind::Spend,
            LedgerKind::Adjustment => WalletTransactionKind::Adjustment,
            LedgerKind::MakeUpFee => WalletTransactionKind::MakeUpFee,
            LedgerKind::StreakFreeze => WalletTransactionKind::StreakFreeze,
            LedgerKind::MilestoneBonus => WalletTransactionKind::MilestoneBonus,
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
        graphql_int(self.0.amount)
    }

    async fn kind(&self) -> WalletTransactionKind {
        self.0.kind.into()
    }

    async fn balance_after(&self) -> i32 {
        graphql_int(self.0.balance_after)
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
