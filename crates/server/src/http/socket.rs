//! The HMR WebSocket: every message of the channel goes to the page; the page reports
//! invalidations and errors it hit while applying an update.

use super::text;
use super::{host_allowed, origin_allowed};
use crate::protocol::{ClientMessage, HmrPayload};
use crate::server::DevServer;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Pages send small JSON messages (invalidations, error reports); a larger one closes the socket
/// instead of being buffered (the page's client reconnects).
const MAX_CLIENT_MESSAGE: usize = 1 << 20;

pub async fn upgrade(
    State(server): State<Arc<DevServer>>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin = headers.get(header::ORIGIN).and_then(|h| h.to_str().ok());
    if !host_allowed(host, &server.host) || !origin_allowed(origin, &server.host) {
        return text(
            StatusCode::FORBIDDEN,
            "text/plain",
            "403 Forbidden: WebSocket from another origin\n",
        );
    }
    upgrade
        .max_message_size(MAX_CLIENT_MESSAGE)
        .on_upgrade(move |socket| serve(server, socket))
        .into_response()
}

async fn serve(server: Arc<DevServer>, socket: WebSocket) {
    server
        .received
        .record("vite:client:connect", serde_json::Value::Null);
    serve_page(&server, socket).await;
    server
        .received
        .record("vite:client:disconnect", serde_json::Value::Null);
}

async fn serve_page(server: &Arc<DevServer>, mut socket: WebSocket) {
    let mut messages = server.channel.subscribe();
    let mut greeting = vec![HmrPayload::Connected];
    if !server.errors.is_empty() {
        greeting.push(server.errors.payload());
    }
    for payload in greeting {
        if socket
            .send(Message::Text(payload.to_json().into()))
            .await
            .is_err()
        {
            return;
        }
    }
    loop {
        tokio::select! {
            outgoing = messages.recv() => match outgoing {
                Ok(message) => if socket.send(Message::Text(message.into())).await.is_err() { return },
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => return,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    // Anything else a page sends is not for the server.
                    if let Ok(message) = serde_json::from_str::<ClientMessage>(&text) {
                        client_message(server, message);
                    }
                }
                Some(Ok(_)) => {}
                _ => return,
            },
        }
    }
}

fn client_message(server: &DevServer, message: ClientMessage) {
    match message {
        ClientMessage::Invalidate {
            path,
            first_invalidated_by,
            ..
        } => server.invalidate(&path, first_invalidated_by.as_deref()),
        ClientMessage::Custom { event, data } if event == "metamon:client-error" => {
            print_client_error(&data)
        }
        ClientMessage::Custom { event, .. } if event == "metamon:page-loaded" => {
            server.pipeline.worker().page_loaded()
        }
        ClientMessage::Custom { event, data } => server.received.record(&event, data),
    }
}

/// An error a page hit while applying an update, in the terminal with its location.
fn print_client_error(error: &serde_json::Value) {
    let location = match (error["file"].as_str(), error["line"].as_u64()) {
        (Some(file), Some(line)) => {
            format!("{file}:{line}:{}", error["column"].as_u64().unwrap_or(1))
        }
        (Some(file), None) => file.to_string(),
        _ => error["path"]
            .as_str()
            .unwrap_or("?")
            .trim_start_matches('/')
            .to_string(),
    };
    let kind = error["kind"].as_str().unwrap_or("runtime");
    eprintln!(
        "  page error [{kind}] {location}: {}",
        error["message"].as_str().unwrap_or("")
    );
    if let Some(frame) = error["frame"].as_str() {
        eprintln!("{frame}");
    }
}
