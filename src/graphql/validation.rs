//! async-graphql's full validation of a document, without running it.
//!
//! The serving schema validates in `ValidationMode::Fast` (fragment cycles,
//! complexity and depth limits only), because the executor (`api`) has
//! already run every rule here: once per document text when the request
//! has no variables (the rules then depend on the text alone, and the
//! result is cached with the document), and on each request that has
//! variables (one rule, arguments of the correct type, reads their values).
//! So every request that runs has passed the same rules as with async-graphql's
//! default `Strict` mode.
//!
//! async-graphql offers no public entry to its validation alone; this is a
//! schema of the same types whose one extension ends every request right
//! after validation, before an operation is selected or anything runs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, ServerError, ValidationMode, ValidationResult, Variables};

use super::AppSchema;

/// Runs async-graphql's strict rules against documents.
#[derive(Clone)]
pub struct Validator {
    /// The schema's types, no data, no limits (the serving schema applies
    /// the depth and complexity limits, which may depend on the operation
    /// a request selects), and the stopping extension.
    schema: AppSchema,
    /// How many validations ran (for tests and the metrics).
    runs: Arc<AtomicU64>,
}

impl Validator {
    /// `introspection` as in the serving schema.
    pub fn new(introspection: bool) -> Self {
        let mut builder = super::builder()
            .validation_mode(ValidationMode::Strict)
            .extension(StopAfterValidation);
        if !introspection {
            builder = builder.disable_introspection();
        }
        Validator {
            schema: builder.finish(),
            runs: Arc::default(),
        }
    }

    /// The strict rules' verdict on `document` with these `variables` and
    /// operation: Err holds every error they found.
    pub async fn validate(
        &self,
        document: &ExecutableDocument,
        variables: Variables,
        operation_name: Option<&str>,
    ) -> Result<(), Vec<ServerError>> {
        self.runs.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("signin_graphql_validations_total").increment(1);
        let mut request = Request::new(String::new()).variables(variables);
        request.operation_name = operation_name.map(str::to_owned);
        request.set_parsed_query(document.clone());
        let response = self.schema.execute(request).await;
        if response.errors.is_empty() {
            Ok(())
        } else {
            Err(response.errors)
        }
    }

    /// How many validations this validator ran.
    pub fn runs(&self) -> u64 {
        self.runs.load(Ordering::Relaxed)
    }
}

/// Ends each request after validation: when the rules pass, with no error
/// and no data (so nothing selects an operation or resolves a field); when
/// they fail, with their errors.
struct StopAfterValidation;

impl ExtensionFactory for StopAfterValidation {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(StopAfterValidation)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for StopAfterValidation {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await?;
        Err(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(query).unwrap()
    }

    fn variables(json: serde_json::Value) -> Variables {
        Variables::from_json(json)
    }

    #[tokio::test]
    async fn passes_a_valid_document_and_runs_nothing() {
        let validator = Validator::new(true);
        // Resolving `me` would need the schema's data, which this schema
        // does not have: passing shows nothing ran.
        let doc = parse("{ me { id username } }");
        assert_eq!(
            validator.validate(&doc, Variables::default(), None).await,
            Ok(())
        );
        let mutation = parse("mutation { signIn { record { streak } } }");
        assert_eq!(
            validator
                .validate(&mutation, Variables::default(), None)
                .await,
            Ok(())
        );
        assert_eq!(validator.runs(), 2);
    }

    #[tokio::test]
    async fn finds_what_strict_validation_finds() {
        let validator = Validator::new(true);
        for query in [
            "{ nope }",
            "{ me }",
            "query($x: Int) { me { id } }",
            "{ me { id } } fragment F on User { id }",
            "{ searchUsers(query: 1) { pageInfo { hasNextPage } } }",
        ] {
            let errors = validator
                .validate(&parse(query), Variables::default(), None)
                .await
                .expect_err(query);
            assert!(!errors.is_empty(), "{query}");
        }
    }

    #[tokio::test]
    async fn checks_variable_values_against_their_arguments() {
        let validator = Validator::new(true);
        let doc = parse(
            "query($n: Int) { searchUsers(query: \"a\", first: $n) { pageInfo { hasNextPage } } }",
        );
        let without = validator.validate(&doc, Variables::default(), None).await;
        let wrong = validator
            .validate(&doc, variables(serde_json::json!({ "n": "ten" })), None)
            .await;
        assert!(wrong.is_err(), "a string for an Int is refused");
        // Whether the document itself is valid does not depend on values.
        let right = validator
            .validate(&doc, variables(serde_json::json!({ "n": 10 })), None)
            .await;
        assert_eq!(without.is_ok(), right.is_ok());
    }
}
