//! `/@metamon/<name>`: the embedded runtime, and the generated routes table. Runtime files'
//! bare imports (`react`…) point at the pre-bundled dependencies like the app's own.

use super::{JS, modules, refused, text};
use crate::graph::Transformed;
use crate::server::DevServer;
use crate::transform::runtime_imports;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use metamon_project::analysis::pages::ROUTES_KEY;
use metamon_project::files::Refusal;
use metamon_project::runtime_files;
use std::sync::Arc;

pub async fn handle(State(server): State<Arc<DevServer>>, Path(name): Path<String>) -> Response {
    if format!("{}{name}", runtime_files::PREFIX) == ROUTES_KEY {
        return modules::module(&server, ROUTES_KEY, false).await;
    }
    match served_text(&server, &name) {
        Some(served) => text(StatusCode::OK, JS, served),
        None => refused(Refusal::NotFound),
    }
}

/// The served text of the runtime file `/@metamon/<name>` (not the routes table).
pub fn served_text(server: &DevServer, name: &str) -> Option<String> {
    if let Some(builtin) = name.strip_prefix(runtime_files::BROWSER_EXTERNAL) {
        return Some(runtime_files::browser_external_module(builtin));
    }
    let source = runtime_files::source(name)?;
    let transformed = Transformed {
        code: source.to_string(),
        imports: runtime_imports(source),
        ..Transformed::default()
    };
    // An empty key: runtime files are never hot-updated.
    Some(server.pipeline.render("", &transformed))
}
