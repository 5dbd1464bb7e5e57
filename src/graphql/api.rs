//! The schema as the transports use it: HTTP and WebSocket requests both go
//! through [`GraphqlApi`], which adds what every request needs around
//! async-graphql's own execution: automatic persisted queries (`persisted`),
//! the document cache (`documents`: each text parsed, counted and strictly
//! validated once, see `validation`), the field-count limit, default error
//! codes, operation metrics, and the response shape the specification
//! requires when fields fail (`response_shape`).
//!
//! This is deliberately not an async-graphql extension: with any extension
//! registered, async-graphql resolves every field and every list item
//! through the extension chain (boxed futures and a registry look-up per
//! field), which made a 1000-user history several times slower. Everything
//! here needs the document once per request, not a hook per field.

use std::num::NonZeroUsize;
use std::sync::Arc;

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Data, Executor, Request, Response, ServerError, Value};
use futures::stream::{self, BoxStream, StreamExt};

use super::documents::{DocumentCache, DocumentCacheStats, PreparedDocument, StaticCheck};
/// Where the other modules have always found it.
pub use super::operations::selected_operation;
use super::operations::{count_fields, label_of};
use super::response_shape::{self, FieldTypes};
use super::validation::Validator;
use super::{persisted, AppSchema};
use crate::cache::persisted_queries::{PersistedQueryStore, QueryHash, MAX_QUERY_BYTES};

/// Most documents the cache holds.
const CACHED_DOCUMENTS: NonZeroUsize = match NonZeroUsize::new(1024) {
    Some(n) => n,
    None => NonZeroUsize::MIN,
};
/// Most bytes of document text the cache holds (their parses take a few
/// times as much).
const CACHED_BYTES: usize = 2 * 1024 * 1024;

/// The executable schema with its per-request rules.
#[derive(Clone)]
pub struct GraphqlApi {
    /// Validates in `Fast` mode: every document reaching it has passed the
    /// strict rules through `validator` (see `validation`).
    schema: AppSchema,
    validator: Validator,
    /// Documents by text, parsed and checked; persisted queries by hash.
    documents: Arc<DocumentCache>,
    /// The persisted queries every replica shares.
    persisted: PersistedQueryStore,
    /// Most field selections one document may hold.
    max_fields: usize,
    /// The schema's field types, for repairing responses with field errors.
    types: Arc<FieldTypes>,
}

impl GraphqlApi {
    /// `schema` (validating in `Fast` mode) with `validator` for the
    /// strict rules, persisted queries in `persisted`, and at most
    /// `max_fields` field selections per document.
    pub fn new(
        schema: AppSchema,
        validator: Validator,
        persisted: PersistedQueryStore,
        max_fields: usize,
    ) -> Self {
        let types = Arc::new(FieldTypes::from_sdl(&schema.sdl()));
        Self {
            schema,
            validator,
            documents: Arc::new(DocumentCache::new(
                CACHED_DOCUMENTS,
                CACHED_BYTES,
                MAX_QUERY_BYTES,
            )),
            persisted,
            max_fields,
            types,
        }
    }

    /// What the document cache did so far and holds now.
    pub fn document_cache_stats(&self) -> DocumentCacheStats {
        self.documents.stats()
    }

    /// How many times the strict validation rules ran (once per new
    /// document text, and once per request with variables).
    pub fn validations(&self) -> u64 {
        self.validator.runs()
    }

    /// The request's document: its persisted query resolved (APQ), then
    /// from the cache, or parsed, checked and cached. Err is the error the
    /// request is answered with (a parse error, an unknown persisted
    /// query, a hash that is not the query's).
    pub async fn document(&self, request: &Request) -> Result<Arc<PreparedDocument>, ServerError> {
        self.document_for(request, Storing::Any).await
    }

    /// [`GraphqlApi::document`] for a request that may only read (HTTP GET):
    /// a query sent with its hash is stored only if the operation it runs is
    /// a query, since a GET changes nothing, the persisted-query store
    /// included (the mutation is then refused by the caller).
    pub async fn document_for_reading(
        &self,
        request: &Request,
    ) -> Result<Arc<PreparedDocument>, ServerError> {
        self.document_for(request, Storing::QueriesOnly).await
    }

    async fn document_for(
        &self,
        request: &Request,
        storing: Storing,
    ) -> Result<Arc<PreparedDocument>, ServerError> {
        let hash = match persisted::requested(&request.extensions) {
            Ok(Some(hash)) => hash,
            Ok(None) => return self.prepared(&request.query).await,
            Err(error) => {
                count_persisted("malformed");
                return Err(error);
            }
        };
        if request.query.is_empty() {
            let found = self.persisted_document(&hash).await;
            count_persisted(if found.is_ok() { "found" } else { "not_found" });
            return found;
        }
        if QueryHash::of(&request.query) != hash {
            count_persisted("mismatch");
            return Err(persisted::mismatch(&hash));
        }
        let document = self.prepared(&request.query).await?;
        let may_store = match storing {
            Storing::Any => true,
            Storing::QueriesOnly => {
                document.operation_type(request.operation_name.as_deref())
                    == Some(async_graphql::parser::types::OperationType::Query)
            }
        };
        // Only what may run is stored: junk would only fill Redis.
        if !may_store {
            count_persisted("not_stored_over_get");
        } else if matches!(document.check, StaticCheck::Valid) {
            match self.persisted.put(&hash, &document.text).await {
                Ok(true) => {
                    count_persisted("stored");
                    self.documents.mark_persisted(&document);
                }
                Ok(false) => count_persisted("too_long"),
                // It still runs; the client sends it again when a replica
                // does not know its hash.
                Err(error) => {
                    count_persisted("store_failed");
                    tracing::warn!(%error, "could not store a persisted query");
                }
            }
        } else {
            count_persisted("invalid");
        }
        Ok(document)
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
        let document = self.prepared(&text).await?;
        if document.hash != *hash {
            // Only a query whose hash was checked is stored; anything else
            // under that key is not what the client means.
            tracing::error!(%hash, "a persisted query's text does not match its hash");
            return Err(persisted::not_found());
        }
        self.documents.mark_persisted(&document);
        Ok(document)
    }

    /// `text`'s document from the cache, or parsed and checked (and then
    /// cached). Err: it does not parse.
    async fn prepared(&self, text: &str) -> Result<Arc<PreparedDocument>, ServerError> {
        if let Some(document) = self.documents.get(text) {
            return Ok(document);
        }
        let document = async_graphql::parser::parse_query(text)?;
        let check = self.check_text(&document).await;
        let prepared = Arc::new(PreparedDocument::new(text, document, check));
        self.documents.insert(&prepared);
        Ok(prepared)
    }

    /// The checks that depend on the text alone. Documents that select
    /// more than `max_fields` fields in all (aliases and fragments counted)
    /// are refused before validation: async-graphql's complexity does not
    /// count `__typename`, so 5,000 aliased `__typename`s would pass it,
    /// and some validation rules are quadratic in the fields.
    async fn check_text(&self, document: &ExecutableDocument) -> StaticCheck {
        let fields = count_fields(document);
        if fields > self.max_fields {
            return StaticCheck::TooManyFields(ServerError::new(
                format!(
                    "Query is too complex: {fields} fields selected, at most {} allowed",
                    self.max_fields
                ),
                None,
            ));
        }
        match self
            .validator
            .validate(document, Default::default(), None)
            .await
        {
            Ok(()) => StaticCheck::Valid,
            Err(errors) => StaticCheck::Invalid(errors),
        }
    }

    /// Whether `request` may run `document`: Err holds the errors it is
    /// answered with. Without variables the cached verdict is the strict
    /// rules' verdict; with variables the rules run again (one of them
    /// checks the values given for arguments).
    async fn admit(
        &self,
        document: &PreparedDocument,
        request: &Request,
    ) -> Result<(), Vec<ServerError>> {
        match &document.check {
            StaticCheck::TooManyFields(error) => Err(vec![error.clone()]),
            StaticCheck::Valid if request.variables.is_empty() => Ok(()),
            StaticCheck::Invalid(errors) if request.variables.is_empty() => Err(errors.clone()),
            StaticCheck::Valid | StaticCheck::Invalid(_) => {
                self.validator
                    .validate(
                        &document.document,
                        request.variables.clone(),
                        request.operation_name.as_deref(),
                    )
                    .await
            }
        }
    }

    /// Runs `request` with the document `document()` found for it (or
    /// answers the error it gave).
    pub async fn execute_document(
        &self,
        mut request: Request,
        document: Result<Arc<PreparedDocument>, ServerError>,
    ) -> Response {
        let started = std::time::Instant::now();
        let (label, response) = match document {
            Err(error) => ("invalid".to_owned(), Response::from_errors(vec![error])),
            Ok(document) => {
                let label = self.label(&document, &request);
                let response = match self.admit(&document, &request).await {
                    Err(errors) => Response::from_errors(errors),
                    Ok(()) => {
                        let operation_name = request.operation_name.clone();
                        request.set_parsed_query(document.document.clone());
                        let response = self.schema.execute(request).await;
                        shape(&self.types, &document, operation_name.as_deref(), response)
                    }
                };
                (label, response)
            }
        };
        let response = with_default_codes(response);
        record(label, &response, started);
        response
    }

    fn label(&self, document: &PreparedDocument, request: &Request) -> String {
        label_of(
            &self.types,
            &document.document,
            request.operation_name.as_deref(),
        )
        .unwrap_or_else(|| "invalid".into())
    }
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

/// Which persisted queries a request may store.
#[derive(Debug, Clone, Copy)]
enum Storing {
    Any,
    /// Only a query operation (a GET request).
    QueriesOnly,
}

impl Executor for GraphqlApi {
    async fn execute(&self, request: Request) -> Response {
        let document = self.document(&request).await;
        self.execute_document(request, document).await
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let api = self.clone();
        stream::once(async move {
            let document = api.document(&request).await;
            let refusal = match &document {
                Err(error) => vec![error.clone()],
                Ok(document) => match api.admit(document, &request).await {
                    Ok(()) => Vec::new(),
                    Err(errors) => errors,
                },
            };
            match document {
                Ok(document) if refusal.is_empty() => {
                    api.run_stream(request, document, session_data.unwrap_or_default())
                }
                _ => {
                    stream::once(async move { with_default_codes(Response::from_errors(refusal)) })
                        .boxed()
                }
            }
        })
        .flatten()
        .boxed()
    }
}

impl GraphqlApi {
    /// The responses of an admitted subscription (or of a query or mutation
    /// sent over a WebSocket, which answers once).
    fn run_stream(
        &self,
        mut request: Request,
        document: Arc<PreparedDocument>,
        session_data: Arc<Data>,
    ) -> BoxStream<'static, Response> {
        let operation_name = request.operation_name.clone();
        request.set_parsed_query(document.document.clone());
        let types = self.types.clone();
        self.schema
            .execute_stream_with_session_data(request, session_data)
            .map(move |response| {
                with_default_codes(shape(
                    &types,
                    &document,
                    operation_name.as_deref(),
                    response,
                ))
            })
            .boxed()
    }
}
