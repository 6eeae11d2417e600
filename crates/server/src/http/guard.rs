//! Requests must come from this machine: `Host` names it, a WebSocket's `Origin` is a page it
//! served.

/// `Host` must name this machine (or the host the server was told to listen on).
pub fn host_allowed(host_header: Option<&str>, configured_host: &str) -> bool {
    let Some(host) = host_header else {
        return false;
    };
    let name = strip_port(host);
    matches!(name, "localhost" | "127.0.0.1" | "[::1]" | "::1")
        || name.eq_ignore_ascii_case(configured_host)
        || name.ends_with(".localhost")
}

/// A WebSocket `Origin` must be a page served by this machine; tools without an Origin pass.
pub fn origin_allowed(origin: Option<&str>, configured_host: &str) -> bool {
    let Some(origin) = origin else { return true };
    let Some(rest) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    host_allowed(Some(rest.trim_end_matches('/')), configured_host)
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        // An IPv6 literal, optionally with a port; anything else after `]` keeps the whole
        // text, so `[::1].evil.com` is not taken for `[::1]`.
        return match host.split_once(']') {
            Some((address, "")) => &host[..=address.len()],
            Some((address, rest))
                if rest.strip_prefix(':').is_some_and(|port| {
                    !port.is_empty() && port.chars().all(|c| c.is_ascii_digit())
                }) =>
            {
                &host[..=address.len()]
            }
            _ => host,
        };
    }
    host.rsplit_once(':').map_or(host, |(name, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            name
        } else {
            host
        }
    })
}

/// A request sent by another site's page (its `Origin` is not this server's): refused for
/// requests that act (posting events) or read state (a pack of what a page has).
pub fn from_foreign_origin(headers: &axum::http::HeaderMap, host: &str) -> bool {
    let origin = headers
        .get(axum::http::header::ORIGIN)
        .and_then(|h| h.to_str().ok());
    origin.is_some() && !origin_allowed(origin, host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_origins() {
        assert!(host_allowed(Some("localhost:5173"), "127.0.0.1"));
        assert!(host_allowed(Some("127.0.0.1:5173"), "127.0.0.1"));
        assert!(host_allowed(Some("[::1]:5173"), "127.0.0.1"));
        assert!(host_allowed(Some("[::1]"), "127.0.0.1"));
        assert!(!host_allowed(Some("[::1].evil.com"), "127.0.0.1"));
        assert!(!host_allowed(Some("[::1]evil.com:5173"), "127.0.0.1"));
        assert!(!host_allowed(Some("[::1]:"), "127.0.0.1"));
        assert!(!host_allowed(Some("evil.com"), "127.0.0.1"));
        assert!(!host_allowed(Some("evil.com:5173"), "127.0.0.1"));
        assert!(!host_allowed(None, "127.0.0.1"));
        assert!(origin_allowed(Some("http://localhost:5173"), "127.0.0.1"));
        assert!(!origin_allowed(Some("http://evil.com"), "127.0.0.1"));
        assert!(!origin_allowed(Some("null"), "127.0.0.1"));
    }
}
