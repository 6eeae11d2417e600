// The HMR protocol as the client sees it: the JSON messages on `/@metamon/ws`, one object per
// WebSocket text frame, tagged by `type`. Types only (JSDoc), nothing runs; the server builds
// the same shapes (crates/server: hmr.rs, http.rs, lib.rs).
//
// Server → client: HMRPayload.   Client → server: ClientPayload.

// ---------------------------------------------------------------- server → client

/**
 * Sent first on every connection.
 * @typedef {{ type: 'connected' }} ConnectedPayload
 */

/**
 * One module to re-import (`js-update`: `acceptedPath` is the changed module, `path` the
 * boundary whose accept callbacks take it; equal for a self-accepting module) or one
 * stylesheet to swap (`css-update`: `path` = `acceptedPath`, a `<link>`'s URL).
 * `timestamp` versions the URL (`?t=<timestamp>`).
 * @typedef {object} Update
 * @property {'js-update' | 'css-update'} type
 * @property {string} path
 * @property {string} acceptedPath
 * @property {number} timestamp
 * @property {string} [firstInvalidatedBy] on updates caused by `hot.invalidate()`: the module that invalidated first
 */

/**
 * When the server saw the change, how long its work took and when it sent the message
 * (epoch ms; the page's clock is the same machine's).
 * @typedef {object} UpdateTiming
 * @property {number} changedAt
 * @property {number} compileMs
 * @property {number} sentAt
 */

/**
 * Hot updates of one batch of file changes. An update caused by `hot.invalidate()` carries
 * neither `files` nor `timing`.
 * @typedef {object} UpdatePayload
 * @property {'update'} type
 * @property {Update[]} updates
 * @property {string[]} [files] the changed files, relative to the project root
 * @property {UpdateTiming} [timing]
 * @property {import('../registry.js').ModuleRecord[]} [modules] bundled dev serving: the new
 *   versions, offered to the page's registry (defined if their imports are)
 * @property {number} [receivedAt] not sent: set by the socket when the message arrives
 */

/**
 * Reload the page: `path` is the module (or `.html` page) that cannot be hot updated,
 * `"*"` for every page.
 * @typedef {{ type: 'full-reload', path: string }} FullReloadPayload
 */

/**
 * Modules no longer imported by anything after an update: their dispose / prune callbacks run.
 * @typedef {{ type: 'prune', paths: string[] }} PrunePayload
 */

/**
 * A compile error as the overlay shows it (1-based `line` / `column`; `frame` is a code frame,
 * possibly empty). Client-side records (failed updates) have the same fields, `line` and
 * `column` may be null, plus the `phase` that failed.
 * @typedef {object} CompileError
 * @property {string} kind `compile`, `runtime`, `timeout`, … (recovery.js ERROR_KINDS)
 * @property {string} file
 * @property {number | null} line
 * @property {number | null} column
 * @property {string} message
 * @property {string} frame
 * @property {string} [phase]
 * @property {number} [timestamp]
 * @property {string} [module] server errors: the module a page must have loaded to show it (absent: every page)
 */

/**
 * Every compile error the server knows right now (empty: all fixed). Sent after each change
 * of the list, and on connection when it is not empty.
 * @typedef {{ type: 'errors', errors: CompileError[] }} ErrorsPayload
 */

/**
 * A custom event for `hot.on(event)` listeners, sent by the server when a tool or test posts
 * it to `/@metamon/events`.
 * @typedef {{ type: 'custom', event: string, data?: any }} CustomPayload
 */

/**
 * @typedef {object} ViteError
 * @property {string} message
 * @property {string} [id]
 * @property {string} [frame]
 * @property {{ file?: string, line?: number, column?: number }} [loc]
 */

/**
 * Vite's single-error message (`err`; `error` accepted too). Not sent by Metamon's server;
 * shown in the overlay if received.
 * @typedef {{ type: 'error', err?: ViteError, error?: ViteError }} ViteErrorPayload
 */

/**
 * @typedef {ConnectedPayload | UpdatePayload | FullReloadPayload | PrunePayload | ErrorsPayload | CustomPayload | ViteErrorPayload} HMRPayload
 */

// ---------------------------------------------------------------- client → server

/**
 * `import.meta.hot.invalidate(message)`: the module could not take its update; the server
 * hands it to the module's importers (or reloads the page).
 * @typedef {object} InvalidatePayload
 * @property {'invalidate'} type
 * @property {string} path the module's served path
 * @property {string} [message]
 * @property {string} [firstInvalidatedBy]
 */

/**
 * A custom event: `import.meta.hot.send(event, data)`, `metamon:client-error` (data: a
 * CompileError record of an update that failed in the page; the server prints it) and
 * `metamon:page-loaded` (the page has loaded and rendered, and is idle: the server loads the
 * framework compilers its saves will need).
 * @typedef {{ type: 'custom', event: string, data?: any }} ClientCustomPayload
 */

/** @typedef {InvalidatePayload | ClientCustomPayload} ClientPayload */

export {};
