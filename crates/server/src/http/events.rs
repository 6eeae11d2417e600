//! `/@metamon/events`: the server side of `import.meta.hot.send` / `on` for tools and tests.
//! `GET` lists the custom events pages sent; `POST {"event", "data"}` sends a custom event to
//! every page (their `import.meta.hot.on(event)` listeners get `data`).

use super::{from_foreign_origin, text};
use crate::protocol::HmrPayload;
use crate::server::DevServer;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use std::sync::Arc;

pub async fn received(State(server): State<Arc<DevServer>>) -> Response {
    text(
        StatusCode::OK,
        "application/json",
        server.received.to_json(),
    )
}

pub async fn send(
    State(server): State<Arc<DevServer>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    // Another site's page must not be able to post events to this one's pages.
    if from_foreign_origin(&headers, &server.host) {
        return text(StatusCode::FORBIDDEN, "text/plain", "403 Forbidden\n");
    }
    let message: serde_json::Value = match serde_json::from_str(&body) {
        Ok(message) => message,
        Err(error) => {
            return text(
                StatusCode::BAD_REQUEST,
                "text/plain",
                format!("expected {{\"event\": string, \"data\": any}}: {error}\n"),
            );
        }
    };
    let Some(event) = message["event"].as_str().filter(|e| !e.is_empty()) else {
        return text(
            StatusCode::BAD_REQUEST,
            "text/plain",
            "expected {\"event\": string, \"data\": any}\n",
        );
    };
    server.channel.send(&HmrPayload::Custom {
        event: event.to_string(),
        data: message["data"].clone(),
    });
    text(StatusCode::OK, "application/json", "{}")
}
