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
