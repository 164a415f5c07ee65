//! Escaping values for HTML, the one way pages and mail both write them.
//!
//! Written by hand because it is five replacements: minijinja's own HTML escaping also turns
//! `/` into `&#x2f;`, which browsers and mail clients read alike but which makes every path
//! and link in the markup unreadable to people and tests.

use minijinja::{AutoEscape, State, Value};

/// `text` with the five characters HTML gives meaning to (`&`, `<`, `>`, `"`, `'`) replaced by
/// their entities: safe in element content and in quoted attributes.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// A minijinja formatter writing every value of an `.html` template through [`escape`];
/// values marked safe, and templates not escaped for HTML, are written as minijinja would.
pub(crate) fn escaping_formatter(
    out: &mut minijinja::Output<'_>,
    state: &mut State<'_, '_>,
    value: &Value,
) -> Result<(), minijinja::Error> {
    let escaping = matches!(state.auto_escape(), AutoEscape::Html);
    if !escaping || value.is_safe() || value.is_undefined() || value.is_none() {
        return minijinja::escape_formatter(out, state, value);
    }
    let text = match value.as_str() {
        Some(text) => escape(text),
        None => escape(&value.to_string()),
    };
    out.write_str(&text)
        .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string()))
}
