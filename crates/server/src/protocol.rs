//! The HMR protocol: every message the server sends to pages over the WebSocket, and every
//! message pages send back. One serde type each, tagged by `type`; `docs/internals.md` documents
//! them and `runtime/hmr/protocol.js` mirrors them as JSDoc typedefs.

use serde::{Deserialize, Serialize};

/// Server → page.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum HmrPayload {
    /// Sent first on every connection.
    Connected,
    /// Modules to re-import and the boundaries that accept them.
    Update {
        updates: Vec<Update>,
        /// The changed files, root-relative (for the feedback notice).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        files: Vec<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        timing: Option<Timing>,
        /// Bundled dev serving: the updated modules' new versions, for the page's registry
        /// (one request less per update). A page defines one only if it has its imports.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        modules: Vec<ModuleRecord>,
    },
    /// Nothing accepts the change: the page reloads (`*`: every page).
    FullReload { path: String },
    /// Modules no page imports any more: their `prune` callbacks run.
    Prune { paths: Vec<String> },
    /// Every file that currently fails, for the overlay (empty: clear it).
    Errors { errors: Vec<ShownError> },
    /// An event for `import.meta.hot.on(event)` listeners; `metamon:notice` (`data: { message }`)
    /// is also shown as a warning notice (e.g. a compiler worker was restarted).
    Custom {
        event: String,
        #[serde(skip_serializing_if = "serde_json::Value::is_null")]
        data: serde_json::Value,
    },
}

/// One module to update: `path` is the boundary that accepts the change of `accepted_path`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Update {
    #[serde(rename = "type")]
    pub kind: UpdateKind,
    pub path: String,
    pub accepted_path: String,
    pub timestamp: u64,
    /// On the updates an `invalidate()` causes: the module that invalidated first, so a cycle
    /// of invalidations ends (the page reloads) instead of going round.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_invalidated_by: Option<String>,
}

/// One module in factory form, as a pack or an update carries it to the page's registry
/// (`runtime/registry.js`): its code, or why it could not be served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModuleRecord {
    pub url: String,
    /// Its static imports, in order: the factory's `__i(n)` is `deps[n]`.
    pub deps: Vec<String>,
    #[serde(rename = "async")]
    pub is_async: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UpdateKind {
    JsUpdate,
    /// A stylesheet linked by the page (`<link rel=stylesheet>`): the link is swapped.
    CssUpdate,
}

/// When an update's file change was seen, how long the server worked on it, when it was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Timing {
    pub changed_at: u64,
    pub compile_ms: u64,
    pub sent_at: u64,
}

/// One error shown in the page's overlay and printed in the terminal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShownError {
    pub kind: &'static str,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub frame: String,
    /// The module a page must have loaded for this to be its error; absent: every page's
    /// (the config file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
}

/// Page → server.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ClientMessage {
    /// `import.meta.hot.invalidate()`: the module at `path` could not take its update;
    /// `first_invalidated_by` is the module whose invalidation led here.
    #[serde(rename_all = "camelCase")]
    Invalidate {
        path: String,
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        first_invalidated_by: Option<String>,
    },
    /// `import.meta.hot.send(event, data)`; `metamon:client-error` reports an error the page
    /// hit while applying an update.
    Custom {
        event: String,
        #[serde(default)]
        data: serde_json::Value,
    },
}

impl HmrPayload {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl Update {
    pub fn js(path: &str, accepted_path: &str, timestamp: u64) -> Self {
        Self {
            kind: UpdateKind::JsUpdate,
            path: path.to_string(),
            accepted_path: accepted_path.to_string(),
            timestamp,
            first_invalidated_by: None,
        }
    }
}

/// Milliseconds since the Unix epoch: update timestamps and timing.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_keep_their_wire_shape() {
        let update = HmrPayload::Update {
            updates: vec![Update::js("/src/App.jsx", "/src/Leaf.jsx", 7)],
            files: vec!["src/Leaf.jsx".into()],
            timing: Some(Timing {
                changed_at: 1,
                compile_ms: 2,
                sent_at: 3,
            }),
            modules: vec![],
        };
        assert_eq!(
            update.to_json(),
            r#"{"type":"update","updates":[{"type":"js-update","path":"/src/App.jsx","acceptedPath":"/src/Leaf.jsx","timestamp":7}],"files":["src/Leaf.jsx"],"timing":{"changedAt":1,"compileMs":2,"sentAt":3}}"#
        );
        assert_eq!(
            HmrPayload::FullReload { path: "*".into() }.to_json(),
            r#"{"type":"full-reload","path":"*"}"#
        );
        assert_eq!(HmrPayload::Connected.to_json(), r#"{"type":"connected"}"#);
        assert_eq!(
            HmrPayload::Errors { errors: vec![] }.to_json(),
            r#"{"type":"errors","errors":[]}"#
        );
        assert_eq!(
            serde_json::from_str::<ClientMessage>(r#"{"type":"invalidate","path":"/a.js"}"#)
                .unwrap(),
            ClientMessage::Invalidate {
                path: "/a.js".into(),
                message: None,
                first_invalidated_by: None,
            }
        );
        assert_eq!(
            serde_json::from_str::<ClientMessage>(
                r#"{"type":"invalidate","path":"/b.js","message":"no","firstInvalidatedBy":"/a.js"}"#
            )
            .unwrap(),
            ClientMessage::Invalidate {
                path: "/b.js".into(),
                message: Some("no".into()),
                first_invalidated_by: Some("/a.js".into()),
            }
        );
        assert_eq!(
            HmrPayload::Custom {
                event: "custom:foo".into(),
                data: serde_json::json!({ "msg": 1 })
            }
            .to_json(),
            r#"{"type":"custom","event":"custom:foo","data":{"msg":1}}"#
        );
        assert!(serde_json::from_str::<ClientMessage>(r#"{"type":"nope"}"#).is_err());
    }
}
