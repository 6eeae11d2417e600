//! The files that currently fail: printed in the terminal when they fail, and shown in every
//! page's overlay until they compile again.

use crate::channel::HmrChannel;
use crate::protocol::{HmrPayload, ShownError};
use metamon_compile::Diagnostic;
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Mutex;

pub struct ErrorBoard {
    root: PathBuf,
    channel: HmrChannel,
    by_file: Mutex<BTreeMap<String, Vec<ShownError>>>,
}

impl ErrorBoard {
    pub fn new(root: PathBuf, channel: HmrChannel) -> Self {
        Self {
            root,
            channel,
            by_file: Mutex::new(BTreeMap::new()),
        }
    }

    /// Shows a file's errors in the terminal and in every page's overlay.
    pub fn record(&self, diagnostics: Vec<Diagnostic>) {
        let Some(first) = diagnostics.first() else {
            return;
        };
        let file = first.file.clone();
        let source = std::fs::read(self.root.join(&file))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let color = std::io::stderr().is_terminal();
        let shown: Vec<ShownError> = diagnostics
            .iter()
            .map(|d| {
                eprintln!("{}", d.render(&source, color));
                ShownError {
                    kind: "compile",
                    file: d.file.clone(),
                    line: d.line,
                    column: d.column,
                    message: d.message.clone(),
                    frame: d.frame(&source),
                    module: (d.file != metamon_config::FILE_NAME
                        && !metamon_project::vite_config::FILE_NAMES.contains(&d.file.as_str()))
                    .then(|| format!("/{}", d.file)),
                }
            })
            .collect();
        self.lock().insert(file, shown);
        self.channel.send(&self.payload());
    }

    /// The file compiles again (or is gone from every page): its errors leave the overlay.
    pub fn clear(&self, file: &str) {
        if self.lock().remove(file).is_some() {
            self.channel.send(&self.payload());
        }
    }

    /// Every current error, for a page that connects.
    pub fn payload(&self) -> HmrPayload {
        HmrPayload::Errors {
            errors: self.lock().values().flatten().cloned().collect(),
        }
    }

    /// The files that currently fail, root-relative.
    pub fn files(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Vec<ShownError>>> {
        self.by_file.lock().unwrap_or_else(|e| e.into_inner())
    }
}
