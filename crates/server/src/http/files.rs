//! Files served as they are: assets, linked stylesheets, `public/`.

use super::{JS, refused, text};
use axum::http::StatusCode;
use axum::response::Response;
use metamon_project::files::Refusal;
use std::path::Path;

pub fn static_file(file: &Path) -> Response {
    let Ok(bytes) = std::fs::read(file) else {
        return refused(Refusal::NotFound);
    };
    text(StatusCode::OK, content_type(file), bytes)
}

pub fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => JS,
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "txt" => "text/plain; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    }
}
