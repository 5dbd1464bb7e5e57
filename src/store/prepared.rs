//! Hand-written statements that each connection keeps prepared.
//!
//! diesel marks every `sql_query` unsafe to cache, since its text may be
//! built per call. Such a statement is prepared again on every run: one more
//! round trip before it executes, and PostgreSQL parses and plans it every
//! time. For the hot statements (the chain read behind every cold status and
//! every sign-in, the history read) that was most of their cost.
//!
//! [`prepared`] marks a statement whose text is a constant as safe to keep:
//! diesel-async's per-connection statement cache then keys it by its text
//! and bind types, so the cache holds at most one entry per such constant.
//! Never wrap a statement whose text is built at run time (`format!`): every
//! distinct text would stay prepared for the connection's life.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::QueryResult;

/// A statement with constant text, kept prepared per connection. Build with
/// [`prepared`].
#[derive(Debug, Clone)]
pub struct Prepared<Q>(Q);

/// Marks `query` (a `diesel::sql_query(<constant text>)` with its binds) as
/// one the connection keeps prepared.
pub fn prepared<Q>(query: Q) -> Prepared<Q> {
    Prepared(query)
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Prepared<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    /// The text is a constant (see the module's rule), so caching by text is
    /// bounded.
    fn is_safe_to_cache_prepared(&self, _backend: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

/// No static id: the cache keys the statement by its text.
impl<Q> QueryId for Prepared<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Prepared<Q> {
    type SqlType = Q::SqlType;
}
