//! Files served as they are: assets, linked stylesheets, `public/`.

use super::{JS, refused, text};
use axum::http::StatusCode;
use axum::response::Response;
use metamon_project::files::{Refusal, media_type};
use std::path::Path;

pub fn static_file(file: &Path) -> Response {
    let Ok(bytes) = std::fs::read(file) else {
        return refused(Refusal::NotFound);
    };
    text(StatusCode::OK, content_type(file), bytes)
}

pub fn content_type(file: &Path) -> &'static str {
    let extension = file.extension().and_then(|e| e.to_str()).unwrap_or("");
    match media_type(extension) {
        "text/css" => "text/css; charset=utf-8",
        "text/javascript" => JS,
        "text/plain" => "text/plain; charset=utf-8",
        "text/html" => "text/html; charset=utf-8",
        other => other,
    }
}
