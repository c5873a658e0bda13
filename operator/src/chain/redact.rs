//! Endpoint names and error texts fit to show (status, logs, metrics labels): URLs with no
//! credentials in them, error texts bounded and naming no secret.

/// Longest error text shown.
pub const MAX_ERROR_CHARS: usize = 240;

/// The URL with what may be a credential masked: user info (`user:pass@`), the query
/// (`?apikey=...`) and fragment, and long path segments with digits in them (providers that
/// put the key in the path, `wss://host/<key>`). Plain node URLs are unchanged.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (format!("{s}://"), r),
        None => (String::new(), url),
    };
    let (rest, hidden_query) = match rest.find(['?', '#']) {
        Some(i) => (&rest[..i], true),
        None => (rest, false),
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let authority = match authority.rsplit_once('@') {
        Some((_, host)) => format!("***@{host}"),
        None => authority.to_string(),
    };
    let path: Vec<&str> = path
        .split('/')
        .map(|seg| {
            let secret_like = seg.len() >= 16 && seg.chars().any(|c| c.is_ascii_digit());
            if secret_like {
                "***"
            } else {
                seg
            }
        })
        .collect();
    let query = if hidden_query { "?***" } else { "" };
    format!("{scheme}{authority}{}{query}", path.join("/"))
}

/// An error text fit for status and logs: the endpoint's raw URL replaced by its redacted
/// name (clients quote the URL they failed on), any other URL in it redacted too (a client may
/// quote it normalised), control characters dropped, at most [`MAX_ERROR_CHARS`] characters.
pub fn error_text(error: &str, raw_url: &str, name: &str) -> String {
    let text = if raw_url.is_empty() {
        error.to_string()
    } else {
        error.replace(raw_url, name)
    };
    let mut clean: String = redact_urls_in(&text)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_ERROR_CHARS + 1)
        .collect();
    if clean.chars().count() > MAX_ERROR_CHARS {
        clean = clean.chars().take(MAX_ERROR_CHARS - 1).collect();
        clean.push('…');
    }
    clean
}

/// Every `scheme://...` in `text` (up to whitespace or a quote) through [`redact_url`].
fn redact_urls_in(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let start = rest[..i]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || "+.-".contains(c)))
            .map_or(0, |j| j + 1);
        let end = rest[i..]
            .find(|c: char| c.is_whitespace() || "\"'<>`".contains(c))
            .map_or(rest.len(), |j| i + j);
        // A URL quoted before a colon ("wss://h:443/: refused") keeps the colon outside.
        let url = rest[start..end].trim_end_matches([':', ',', ';', ')', '.']);
        out.push_str(&rest[..start]);
        out.push_str(&redact_url(url));
        rest = &rest[start + url.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_what_may_be_a_credential() {
        let table = [
            (
                "wss://entrypoint-finney.opentensor.ai:443",
                "wss://entrypoint-finney.opentensor.ai:443",
            ),
            ("ws://127.0.0.1:9944", "ws://127.0.0.1:9944"),
            (
                "fake+http://127.0.0.1:4000/lag/20",
                "fake+http://127.0.0.1:4000/lag/20",
            ),
            (
                "wss://user:hunter2@node.example:443/ws",
                "wss://***@node.example:443/ws",
            ),
            (
                "wss://node.example/ws?apikey=abc123",
                "wss://node.example/ws?***",
            ),
            (
                "wss://api-bittensor-mainnet.dwellir.com/3f1c2d3e-0000-4000-8000-000000000001",
                "wss://api-bittensor-mainnet.dwellir.com/***",
            ),
            ("wss://node.example/ws#frag", "wss://node.example/ws?***"),
            ("not a url", "not a url"),
        ];
        for (url, want) in table {
            assert_eq!(redact_url(url), want, "{url}");
        }
    }

    #[test]
    fn error_texts_are_bounded_and_name_the_redacted_url() {
        let raw = "wss://u:pw@h/ws?k=s3cret";
        let name = redact_url(raw);
        let e = error_text(
            &format!("{raw}: connection refused\n(os error 111)"),
            raw,
            &name,
        );
        assert_eq!(e, "wss://***@h/ws?***: connection refused (os error 111)");
        let long = error_text(&"x".repeat(1000), raw, &name);
        assert_eq!(long.chars().count(), MAX_ERROR_CHARS);
        assert!(long.ends_with('…'));
        // A URL quoted in another form than configured is redacted all the same.
        let other = "connect to \"wss://u:pw@h:443/ws?k=s3cret\": refused; see https://x/y?t=1.";
        assert_eq!(
            error_text(other, raw, &name),
            "connect to \"wss://***@h:443/ws?***\": refused; see https://x/y?***."
        );
        let exact = "y".repeat(MAX_ERROR_CHARS);
        assert_eq!(
            error_text(&exact, raw, &name),
            exact,
            "at the bound: unchanged"
        );
    }
}
