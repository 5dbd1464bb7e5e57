//! The baseline of scenario b, the framework ceiling: the same frameworks
//! as signin-rewards (async-graphql 7 over axum 0.8 on a multi-threaded
//! tokio runtime) answering `{ hello }` (what the bench sends it), with no
//! database, no Redis, no token check: HTTP + GraphQL parsing, validation,
//! execution and JSON of the smallest query. It also answers
//! `{ me { signInStatus { ... } } }` with constants, the same query as the
//! service's without its I/O (not the ceiling: for comparisons by hand).

use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema, SimpleObject};
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::State;
use axum::routing::post;
use axum::Router;

#[derive(SimpleObject)]
struct SignInStatus {
    today: String,
    signed_in_today: bool,
    streak: i32,
    cycle_day: i32,
    today_reward: i32,
}

struct User;

#[Object]
impl User {
    async fn id(&self) -> String {
        "1".into()
    }

    async fn sign_in_status(&self) -> SignInStatus {
        SignInStatus {
            today: "2026-01-15".into(),
            signed_in_today: false,
            streak: 3,
            cycle_day: 4,
            today_reward: 20,
        }
    }
}

struct Query;

#[Object]
impl Query {
    async fn hello(&self) -> &'static str {
        "world"
    }

    async fn me(&self) -> User {
        User
    }
}

type BaselineSchema = Schema<Query, EmptyMutation, EmptySubscription>;

async fn graphql(State(schema): State<BaselineSchema>, req: GraphQLRequest) -> GraphQLResponse {
    schema.execute(req.into_inner()).await.into()
}

#[tokio::main]
async fn main() {
    let bind = std::env::var("BASELINE_BIND").unwrap_or_else(|_| "127.0.0.1:18081".into());
    let schema = Schema::build(Query, EmptyMutation, EmptySubscription).finish();
    let app = Router::new()
        .route("/graphql", post(graphql))
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .with_state(schema);
    let listener = tokio::net::TcpListener::bind(&bind).await.expect("bind");
    eprintln!("bench-baseline listening on {bind}");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("SIGTERM handler");
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        })
        .await
        .expect("serve");
}
