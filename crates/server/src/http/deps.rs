//! `/@deps/<file>`: the pre-bundled npm dependencies.

use super::{JS, refused, text};
use crate::server::DevServer;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use metamon_project::files::Refusal;
use std::sync::Arc;

pub async fn handle(State(server): State<Arc<DevServer>>, Path(file): Path<String>) -> Response {
    if file.contains("..") || file.contains('/') || file.contains('\\') || file.starts_with('.') {
        return refused(Refusal::Forbidden);
    }
    match std::fs::read(
        crate::deps::cache_dir(server.root())
            .join("deps")
            .join(file),
    ) {
        Ok(bytes) => text(StatusCode::OK, JS, bytes),
        Err(_) => refused(Refusal::NotFound),
    }
}
