//! `GET /@metamon/map?m=<module URL>`: the source map of a module as it is served now. The
//! factories in packs and hot updates link to it rather than carry it inline (a pack would be
//! half maps, downloaded and parsed for DevTools alone); DevTools fetches it when it needs it.

use super::{refused, text};
use crate::server::DevServer;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use metamon_project::files::file_for_url;
use metamon_project::module_id::{key_from_url, split_key};
use std::sync::Arc;

pub async fn get(State(server): State<Arc<DevServer>>, RawQuery(query): RawQuery) -> Response {
    let url = super::pack::module_urls(query.as_deref())
        .into_iter()
        .next();
    let Some(url) = url.filter(|url| url.starts_with('/') && !url.starts_with("/@")) else {
        return text(
            StatusCode::BAD_REQUEST,
            "text/plain",
            "expected ?m=<a module's URL>\n",
        );
    };
    let key = key_from_url(&url);
    // The module's own URL is refused the same way (outside the root, hidden files).
    if server.pipeline.fresh_transform(&key).is_none() {
        let path = percent_encoding::percent_decode_str(split_key(&key).0).decode_utf8_lossy();
        if let Err(refusal) = file_for_url(server.root(), &path) {
            return refused(refusal);
        }
    }
    let map = super::modules::served_text(&server, &key)
        .await
        .ok()
        .and_then(|served| metamon_compile::source_map_of(&served));
    match map {
        Some(map) => text(StatusCode::OK, "application/json", map),
        None => text(
            StatusCode::NOT_FOUND,
            "text/plain",
            format!("{url} has no source map\n"),
        ),
    }
}
