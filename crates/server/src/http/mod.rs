//! HTTP and WebSocket: a few small handlers — the page (`html`), the embedded runtime
//! (`runtime`), pre-bundled dependencies (`deps`), project modules (`modules`), files as they
//! are (`files`) and the HMR socket (`socket`) — behind one guard: local hosts only, and never
//! a path outside the root.

mod deps;
mod events;
mod files;
mod guard;
mod html;
mod map;
mod modules;
mod pack;
mod runtime;
mod socket;

pub use files::content_type;
pub use guard::{from_foreign_origin, host_allowed, origin_allowed};

use crate::server::DevServer;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use metamon_project::files::Refusal;
use std::sync::Arc;

pub fn router(server: Arc<DevServer>) -> Router {
    Router::new()
        .route("/@metamon/ws", get(socket::upgrade))
        .route("/@metamon/events", get(events::received).post(events::send))
        .route("/@metamon/graph", get(graph_size))
        .route("/@metamon/pack", get(pack::get).post(pack::post))
        .route("/@metamon/pack/{name}", get(pack::get_by_hash))
        .route("/@metamon/map", get(map::get))
        .route("/@metamon/{*name}", get(runtime::handle))
        .route("/@deps/{*file}", get(deps::handle))
        .fallback(get(modules::handle))
        .layer(middleware::from_fn_with_state(
            server.clone(),
            local_host_only,
        ))
        .with_state(server)
}

/// `GET /@metamon/graph`: the size of the module graph, `{"modules": nodes, "imports": edges}`,
/// for tools and tests (it stays the same however many saves the server handles).
async fn graph_size(State(server): State<Arc<DevServer>>) -> Response {
    let (modules, imports) = {
        let graph = server.pipeline.graph();
        let imports: usize = graph.modules.values().map(|node| node.imports.len()).sum();
        (graph.modules.len(), imports)
    };
    text(
        StatusCode::OK,
        "application/json",
        format!("{{\"modules\":{modules},\"imports\":{imports}}}"),
    )
}

/// The app under Vite's `base` (`/sub/`): `/sub/…` is served as `/…`, and `/` redirects to
/// `/sub/`. The URLs the server writes into pages and modules (`/src/…`, `/@metamon/…`) stay
/// valid as they are. Wraps the router (a layer inside it would run after routing).
pub async fn under_base(
    State(base): State<Arc<str>>,
    mut request: Request,
    next: Next,
) -> Response {
    if base.as_ref() == "/" {
        return next.run(request).await;
    }
    let prefix = base.trim_end_matches('/');
    let path = request.uri().path();
    if path == "/" || path == "/index.html" || path == prefix {
        return Response::builder()
            .status(StatusCode::FOUND)
            .header(header::LOCATION, base.as_ref())
            .body(Body::empty())
            .unwrap_or_default();
    }
    if let Some(rest) = path
        .strip_prefix(prefix)
        .filter(|rest| rest.starts_with('/'))
    {
        let rewritten = match request.uri().query() {
            Some(query) => format!("{rest}?{query}"),
            None => rest.to_string(),
        };
        if let Ok(uri) = rewritten.parse() {
            *request.uri_mut() = uri;
        }
    }
    next.run(request).await
}

/// Requests must name this machine in `Host` (DNS rebinding gets a 403). A request also tells
/// the compiler workers a page is loading (their warm-up waits for a quiet moment).
async fn local_host_only(
    State(server): State<Arc<DevServer>>,
    request: Request,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok());
    if !host_allowed(host, &server.host) {
        return text(
            StatusCode::FORBIDDEN,
            "text/plain",
            "403 Forbidden: unknown Host\n",
        );
    }
    server.pipeline.worker().note_activity();
    next.run(request).await
}

const JS: &str = "text/javascript; charset=utf-8";

fn text(status: StatusCode, content_type: &str, body: impl Into<Body>) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CACHE_CONTROL, "no-cache")
        .body(body.into())
        .unwrap_or_default()
}

fn refused(refusal: Refusal) -> Response {
    match refusal {
        Refusal::Forbidden => text(
            StatusCode::FORBIDDEN,
            "text/plain",
            "403 Forbidden: outside the project root or a hidden file\n",
        ),
        Refusal::NotFound => text(StatusCode::NOT_FOUND, "text/plain", "404 Not Found\n"),
    }
}

/// Binds the port, or (unless `strict`) the next free one.
pub async fn bind(
    host: &str,
    port: u16,
    strict: bool,
) -> Result<(tokio::net::TcpListener, u16), String> {
    let mut last_error = String::new();
    let last = if strict {
        port
    } else {
        port.saturating_add(49)
    };
    for candidate in port..=last {
        match tokio::net::TcpListener::bind((host, candidate)).await {
            Ok(listener) => return Ok((listener, candidate)),
            Err(error) => last_error = error.to_string(),
        }
    }
    Err(format!("no free port from {port}: {last_error}"))
}

/// Diagnostics as a plain-text 500 response.
fn compile_error(diagnostics: &[metamon_compile::Diagnostic]) -> Response {
    let message = diagnostics
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    text(StatusCode::INTERNAL_SERVER_ERROR, "text/plain", message)
}
