//! The HMR channel: every message for the pages goes out through it to every connected page.

use crate::protocol::HmrPayload;
use tokio::sync::broadcast;

#[derive(Clone)]
pub struct HmrChannel {
    sender: broadcast::Sender<String>,
}

impl Default for HmrChannel {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(256).0,
        }
    }
}

impl HmrChannel {
    pub fn send(&self, payload: &HmrPayload) {
        // No page connected is not an error.
        let _ = self.sender.send(payload.to_json());
    }

    /// Messages from now on, serialized, for one page's socket.
    pub fn subscribe(&self) -> broadcast::Receiver<String> {
        self.sender.subscribe()
    }
}

/// The custom events pages sent (`import.meta.hot.send`), with the page connections opening
/// and closing (`vite:client:connect` / `vite:client:disconnect`), in order: what a Vite
/// plugin's `server.hot.on(event)` would see, kept for tools and tests (`/@metamon/events`).
#[derive(Default)]
pub struct ReceivedEvents {
    events: std::sync::Mutex<std::collections::VecDeque<serde_json::Value>>,
}

impl ReceivedEvents {
    /// The most kept; older events go first.
    const LIMIT: usize = 1000;

    pub fn record(&self, event: &str, data: serde_json::Value) {
        let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        if events.len() == Self::LIMIT {
            events.pop_front();
        }
        events.push_back(serde_json::json!({ "event": event, "data": data }));
    }

    /// Every kept event, oldest first, as a JSON array.
    pub fn to_json(&self) -> String {
        let events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        serde_json::Value::Array(events.iter().cloned().collect()).to_string()
    }
}
