//! The schema as the transports use it: async-graphql-axum hands every HTTP
//! and WebSocket request to [`GraphqlApi`], an async-graphql [`Executor`]
//! that adds what every request needs around the library's own parsing,
//! validation and execution: automatic persisted queries (`persisted`), the
//! cache of parses (`documents`), the fragment budget (`fragment_budget`:
//! async-graphql's first steps expand fragments exponentially), default
//! error codes, operation metrics, and the response shape the specification
//! requires when fields fail (`response_shape`).
//!
//! This is deliberately not an async-graphql extension: with any extension
//! registered, async-graphql resolves every field and every list item
//! through the extension chain (boxed futures and a registry look-up per
//! field), which made a 1000-user history several times slower. Everything
//! here needs the request once, not a hook per field.

use std::collections::HashSet;
use std::num::NonZeroUsize;
use std::sync::Arc;

use async_graphql::parser::types::OperationType;
use async_graphql::{Data, Executor, Request, Response, ServerError, Value};
use futures::stream::{self, BoxStream, StreamExt};

use super::context::{RequestAuth, RowSource, WsAuthorization};
pub use super::documents::DocumentCacheStats;
use super::documents::{DocumentCache, PreparedDocument};
use super::loaders::Loaders;
/// Where the other modules have always found it.
pub use super::operations::selected_operation;
use super::operations::{label_of, selects_any};
use super::response_shape::{self, FieldTypes};
use super::{fragment_budget, persisted, typename_directives, AppSchema};
use crate::cache::persisted_queries::{PersistedQueryStore, QueryHash, Stored, MAX_QUERY_BYTES};
use crate::state::AppState;

/// Most documents the cache holds.
const CACHED_DOCUMENTS: NonZeroUsize = match NonZeroUsize::new(1024) {
    Some(n) => n,
    None => NonZeroUsize::MIN,
};
/// Most bytes of document text the cache holds (their parses take a few
/// times as much).
const CACHED_BYTES: usize = 2 * 1024 * 1024;

/// The schema with one complexity limit, validating in both modes.
#[derive(Clone)]
pub struct Validating {
    /// Validates in async-graphql's `Strict` mode, with the depth and
    /// complexity limits: a text's first run, and every run with variables
    /// (one rule reads their values).
    pub strict: AppSchema,
    /// The same types and limits in `Fast` mode (limits only): a text that
    /// passed the strict rules without variables, run again the same way.
    pub fast: AppSchema,
}

/// Who may run how much: async-graphql has one complexity limit per
/// schema, so each limit is a schema of its own.
#[derive(Clone)]
pub struct Budgets {
    /// Users and anonymous callers (`SIGNIN_MAX_COMPLEXITY`).
    pub user: Validating,
    /// An admin's operations that select admin fields
    /// (`SIGNIN_MAX_ADMIN_COMPLEXITY`).
    pub admin: Validating,
    /// The root query fields only an admin may select.
    pub admin_fields: Arc<HashSet<String>>,
}

/// The executable schema with its per-request rules.
#[derive(Clone)]
pub struct GraphqlApi {
    budgets: Budgets,
    /// Whom a token names (for the admin budget).
    state: Arc<AppState>,
    /// The token checks' batches the resolvers use too.
    loaders: Arc<Loaders>,
    /// Parses by text; persisted queries by hash.
    documents: Arc<DocumentCache>,
    /// The persisted queries every replica shares.
    persisted: PersistedQueryStore,
    /// Most field selections one operation may hold, fragments expanded.
    max_selections: usize,
    /// The schema's field types, for repairing responses with field errors.
    types: Arc<FieldTypes>,
}

/// What a request's document turned out to be, before it runs.
struct Admitted {
    document: Arc<PreparedDocument>,
    /// The hash to store the text under once it has validated (APQ: a
    /// query sent with its hash).
    store_as: Option<QueryHash>,
}

impl GraphqlApi {
    /// The schemas of `budgets`, with persisted queries in `persisted`, at
    /// most `max_selections` field selections per document (fragments
    /// expanded), and `state` and `loaders` to learn whether a token names
    /// an admin (the admin budget).
    pub fn new(
        budgets: Budgets,
        persisted: PersistedQueryStore,
        max_selections: usize,
        state: Arc<AppState>,
        loaders: Arc<Loaders>,
    ) -> Self {
        let types = Arc::new(FieldTypes::from_sdl(&budgets.user.strict.sdl()));
        Self {
            budgets,
            state,
            loaders,
            documents: Arc::new(DocumentCache::new(
                CACHED_DOCUMENTS,
                CACHED_BYTES,
                MAX_QUERY_BYTES,
            )),
            persisted,
            max_selections,
            types,
        }
    }

    /// What the document cache did so far and holds now.
    pub fn document_cache_stats(&self) -> DocumentCacheStats {
        self.documents.stats()
    }

    /// Runs `request` only when the operation it selects is a query (HTTP
    /// GET and HEAD change nothing): None when it is a mutation or a
    /// subscription. A document that does not parse or selects no
    /// operation runs (to its error).
    pub async fn execute_if_query(&self, request: Request) -> Option<Response> {
        let started = std::time::Instant::now();
        let admitted = match self.admit(&request).await {
            Ok(admitted) => admitted,
            Err(error) => return Some(refused(error, started)),
        };
        match admitted
            .document
            .operation_type(request.operation_name.as_deref())
        {
            Some(OperationType::Query) | None => {
                Some(self.run_admitted(request, admitted, started).await)
            }
            Some(_) => None,
        }
    }

    /// The request's document: its persisted query resolved (APQ), then
    /// from the cache, or parsed and sized (and then cached). Err is the
    /// error the request is answered with (a parse error, a document over
    /// the fragment budget, an unknown persisted query, a hash that is not
    /// the query's).
    async fn admit(&self, request: &Request) -> Result<Admitted, ServerError> {
        let hash = match persisted::requested(&request.extensions) {
            Ok(Some(hash)) => hash,
            Ok(None) => {
                return Ok(Admitted {
                    document: self.prepared(&request.query)?,
                    store_as: None,
                })
            }
            Err(error) => {
                count_persisted("malformed");
                return Err(error);
            }
        };
        if request.query.is_empty() {
            let found = self.persisted_document(&hash).await;
            count_persisted(if found.is_ok() { "found" } else { "not_found" });
            return found.map(|document| Admitted {
                document,
                store_as: None,
            });
        }
        if QueryHash::of(&request.query) != hash {
            count_persisted("mismatch");
            return Err(persisted::mismatch(&hash));
        }
        let document = self.prepared(&request.query)?;
        Ok(Admitted {
            document,
            store_as: Some(hash),
        })
    }

    /// Stores `document` as a persisted query once async-graphql has
    /// validated it (`response` is not a request error): junk would only
    /// fill Redis.
    async fn store_persisted(
        &self,
        document: &PreparedDocument,
        response: &Response,
        now: chrono::DateTime<chrono::Utc>,
    ) {
        if is_request_error(response) {
            count_persisted("invalid");
            return;
        }
        match self
            .persisted
            .put(&document.hash, &document.text, now)
            .await
        {
            Ok(Stored::Yes) => {
                count_persisted("stored");
                self.documents.mark_persisted(document);
            }
            Ok(Stored::TooLong) => count_persisted("too_long"),
            Ok(Stored::OverBudget) => count_persisted("over_budget"),
            // It ran; the client sends it again when a replica does not
            // know its hash.
            Err(error) => {
                count_persisted("store_failed");
                tracing::warn!(%error, "could not store a persisted query");
            }
        }
    }

    /// The persisted query named `hash`: this process's copy, or Redis's.
    async fn persisted_document(
        &self,
        hash: &QueryHash,
    ) -> Result<Arc<PreparedDocument>, ServerError> {
        if let Some(document) = self.documents.get_persisted(hash) {
            return Ok(document);
        }
        let text = match self.persisted.get(hash).await {
            Ok(Some(text)) => text,
            Ok(None) => return Err(persisted::not_found()),
            // Redis down: the client sends the query itself, which runs.
            Err(error) => {
                tracing::warn!(%error, "could not read a persisted query");
                return Err(persisted::not_found());
            }
        };
        let document = self.prepared(&text)?;
        if document.hash != *hash {
            // Only a query whose hash was checked is stored; anything else
            // under that key is not what the client means.
            tracing::error!(%hash, "a persisted query's text does not match its hash");
            return Err(persisted::not_found());
        }
        self.documents.mark_persisted(&document);
        Ok(document)
    }

    /// `text`'s parse from the cache, or parsed by async-graphql and sized
    /// (then cached). Err: it does not parse, or it is over the budget.
    fn prepared(&self, text: &str) -> Result<Arc<PreparedDocument>, ServerError> {
        if let Some(document) = self.documents.get(text) {
            return Ok(document);
        }
        let mut document = async_graphql::parser::parse_query(text)?;
        fragment_budget::check(&document, self.max_selections)?;
        typename_directives::hoist(&mut document);
        let prepared = Arc::new(PreparedDocument::new(text, document));
        self.documents.insert(&prepared);
        Ok(prepared)
    }

    /// Runs one request to its single response.
    async fn run(&self, request: Request) -> Response {
        let started = std::time::Instant::now();
        match self.admit(&request).await {
            Ok(admitted) => self.run_admitted(request, admitted, started).await,
            Err(error) => refused(error, started),
        }
    }

    async fn run_admitted(
        &self,
        mut request: Request,
        admitted: Admitted,
        started: std::time::Instant,
    ) -> Response {
        let operation_name = request.operation_name.clone();
        let without_variables = request.variables.is_empty();
        let validated =
            without_variables && admitted.document.is_validated(operation_name.as_deref());
        let schemas = self
            .budget(&request, &admitted.document, operation_name.as_deref())
            .await;
        request.set_parsed_query(admitted.document.document.clone());
        let response = if validated {
            schemas.fast.execute(request).await
        } else {
            schemas.strict.execute(request).await
        };
        if without_variables && !validated && !is_request_error(&response) {
            admitted.document.mark_validated(operation_name.as_deref());
        }
        if admitted.store_as.is_some() {
            self.store_persisted(&admitted.document, &response, self.state.calendar.now())
                .await;
        }
        let response = with_default_codes(shape(
            &self.types,
            &admitted.document,
            operation_name.as_deref(),
            response,
        ));
        record(
            self.label(&admitted.document, operation_name.as_deref(), &response),
            &response,
            started,
        );
        response
    }

    /// The schemas whose complexity limit applies: the admin's when the
    /// operation selects an admin field and the token names an admin now
    /// (checked through the same batch, and kept for, the resolvers' own
    /// checks: no extra read), else the users'.
    async fn budget(
        &self,
        request: &Request,
        document: &PreparedDocument,
        operation_name: Option<&str>,
    ) -> &Validating {
        let user = &self.budgets.user;
        if !selects_any(
            &document.document,
            operation_name,
            &self.budgets.admin_fields,
        ) {
            return user;
        }
        let auth = request
            .data
            .get(&std::any::TypeId::of::<RequestAuth>())
            .and_then(|data| data.downcast_ref::<RequestAuth>());
        let Some(auth) = auth.filter(|auth| auth.has_token()) else {
            return user;
        };
        match auth
            .identity_via(&self.state, RowSource::Batched(&self.loaders))
            .await
        {
            Ok(identity) if identity.is_admin() => &self.budgets.admin,
            // Refused or not an admin: the resolvers say so.
            _ => user,
        }
    }

    /// The metrics label of a request that ran: only once async-graphql has
    /// validated the document (before that, its names are the client's).
    fn label(
        &self,
        document: &PreparedDocument,
        operation_name: Option<&str>,
        response: &Response,
    ) -> String {
        if is_request_error(response) {
            return "invalid".into();
        }
        label_of(&self.types, &document.document, operation_name)
            .unwrap_or_else(|| "invalid".into())
    }
}

/// The answer to a request refused before async-graphql saw it.
fn refused(error: ServerError, started: std::time::Instant) -> Response {
    let response = with_default_codes(Response::from_errors(vec![error]));
    record("invalid".into(), &response, started);
    response
}

/// A request error (the document did not parse or validate, a limit was
/// exceeded): no data, and no error with a path.
pub fn is_request_error(response: &Response) -> bool {
    !response.errors.is_empty()
        && response.data == Value::Null
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// Counts an APQ request by what became of it: `found` (a hash alone,
/// known), `not_found`, `stored` (a query with its hash), `mismatch`,
/// `malformed`, `invalid` (not stored: it does not validate), `too_long`,
/// `store_failed` (Redis). The e2e run's Apollo client is checked against
/// these.
fn count_persisted(outcome: &'static str) {
    metrics::counter!("signin_graphql_persisted_queries_total", "outcome" => outcome).increment(1);
}

/// `response` with its data in the specification's shape (only responses
/// with field errors need it).
fn shape(
    types: &FieldTypes,
    document: &PreparedDocument,
    operation_name: Option<&str>,
    mut response: Response,
) -> Response {
    if response.errors.iter().any(|e| !e.path.is_empty()) {
        response_shape::conform(types, &document.document, operation_name, &mut response);
    }
    response
}

/// Errors raised by async-graphql itself (syntax, validation, limits,
/// malformed arguments) get the code `BAD_USER_INPUT`: they are the
/// client's, and every error the service raises has its own code.
fn with_default_codes(mut response: Response) -> Response {
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", Value::from("BAD_USER_INPUT"));
        }
    }
    response
}

/// Counts the operation by its root field (a bounded label, unlike
/// client-chosen operation names).
fn record(operation: String, response: &Response, started: std::time::Instant) {
    let outcome = if response.errors.is_empty() {
        "ok"
    } else {
        "error"
    };
    metrics::counter!("signin_graphql_operations_total", "operation" => operation.clone(), "outcome" => outcome)
        .increment(1);
    metrics::histogram!("signin_graphql_operation_duration_seconds", "operation" => operation)
        .record(started.elapsed().as_secs_f64());
}

impl Executor for GraphqlApi {
    async fn execute(&self, request: Request) -> Response {
        self.run(request).await
    }

    /// A WebSocket operation. Its caller is authenticated anew for each
    /// operation (a fresh [`RequestAuth`] from the connection's token), so
    /// a role change, a deletion or a password change applies to the next
    /// operation on an open socket, as it does over HTTP.
    fn execute_stream(
        &self,
        mut request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let session_data = session_data.unwrap_or_default();
        let authorization = session_data
            .get(&std::any::TypeId::of::<WsAuthorization>())
            .and_then(|data| data.downcast_ref::<WsAuthorization>());
        if let Some(WsAuthorization(authorization)) = authorization {
            request = request.data(RequestAuth::from_authorization(Some(authorization)));
        }
        let api = self.clone();
        stream::once(async move {
            let admitted = match api.admit(&request).await {
                Ok(admitted) => admitted,
                Err(error) => {
                    let refusal = with_default_codes(Response::from_errors(vec![error]));
                    return stream::once(async move { refusal }).boxed();
                }
            };
            let operation_name = request.operation_name.clone();
            let schemas = api
                .budget(&request, &admitted.document, operation_name.as_deref())
                .await
                .clone();
            request.set_parsed_query(admitted.document.document.clone());
            let mut store_as = admitted.store_as;
            let document = admitted.document;
            schemas
                .strict
                .execute_stream_with_session_data(request, session_data)
                .then(move |response| {
                    let api = api.clone();
                    let document = document.clone();
                    let operation_name = operation_name.clone();
                    // The first response tells whether the text validated
                    // (APQ stores only what did).
                    let store = store_as.take().is_some();
                    async move {
                        if store {
                            api.store_persisted(&document, &response, api.state.calendar.now())
                                .await;
                        }
                        with_default_codes(shape(
                            &api.types,
                            &document,
                            operation_name.as_deref(),
                            response,
                        ))
                    }
                })
                .boxed()
        })
        .flatten()
        .boxed()
    }
}
