//! The guard's settings, from its Spin variables (`wasi:config/store`, which is how Spin hands
//! a component the variables its `[component.<id>.variables]` table names).

/// A one-function binding of `wasi:config/store` (the version Spin 3 provides), so the guard
/// needs neither spin-sdk nor anything else to read its variables.
#[allow(missing_docs, unreachable_pub, clippy::all, reason = "generated code")]
mod bindings {
    wit_bindgen::generate!({
        inline: r"
            package wasi:config@0.2.0-draft-2024-09-27;

            interface store {
                variant error {
                    upstream(string),
                    io(string),
                }
                get: func(key: string) -> result<option<string>, error>;
            }

            world guard-imports {
                import store;
            }
        ",
    });
}

use bindings::wasi::config::store;

/// Where Sesame answers when `sesame_url` is not set: the component `sesame` of the same app,
/// by Spin's local service chaining.
const DEFAULT_SESAME_URL: &str = "http://sesame.spin.internal";

/// Sesame's sign-in page, on the origin the client reached the guard through (Sesame serves
/// the app's other routes).
const DEFAULT_SIGN_IN_PATH: &str = "/login";

/// A component (or server) the guard sends requests to: scheme and authority, no path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Upstream {
    /// Whether it is reached over HTTPS.
    pub(crate) https: bool,
    /// Host and port, e.g. `sesame.spin.internal`.
    pub(crate) authority: String,
}

/// What the guard is configured with.
#[derive(Debug)]
pub(crate) struct Settings {
    /// Sesame, asked `GET /auth/check` for every request.
    pub(crate) sesame: Upstream,
    /// The protected app, sent every request Sesame lets through.
    pub(crate) app: Upstream,
    /// The query of the check (`role=admin`), without `?`; empty asks only for a sign-in.
    pub(crate) check_query: String,
    /// Where a browser signs in (a path on the client's origin, or a URL).
    pub(crate) sign_in_path: String,
}

/// Why the guard cannot run: named in the log, never shown to the client.
#[derive(Debug)]
pub(crate) struct ConfigError(pub(crate) String);

/// The settings from the Spin variables `sesame_url`, `app_url` (required), `check_query` and
/// `sign_in_path`; an empty value is the default.
pub(crate) fn settings() -> Result<Settings, ConfigError> {
    let get = |name: &str| -> Result<Option<String>, ConfigError> {
        let value = store::get(name)
            .map_err(|e| ConfigError(format!("the Spin variable `{name}` is unreadable: {e:?}")))?;
        Ok(value.filter(|v| !v.trim().is_empty()))
    };
    let sesame_url = get("sesame_url")?.unwrap_or_else(|| DEFAULT_SESAME_URL.to_owned());
    let app_url = get("app_url")?
        .ok_or_else(|| ConfigError("the Spin variable `app_url` is not set".into()))?;
    Ok(Settings {
        sesame: upstream("sesame_url", &sesame_url)?,
        app: upstream("app_url", &app_url)?,
        check_query: get("check_query")?
            .map(|q| q.trim().trim_start_matches('?').to_owned())
            .unwrap_or_default(),
        sign_in_path: get("sign_in_path")?.unwrap_or_else(|| DEFAULT_SIGN_IN_PATH.to_owned()),
    })
}

/// `url` (`http://host[:port]`, a trailing `/` allowed) as an [`Upstream`]; anything with a
/// path, query or credentials is refused, so the variable means exactly one thing.
pub(crate) fn upstream(name: &str, url: &str) -> Result<Upstream, ConfigError> {
    let bad = || {
        ConfigError(format!(
            "the Spin variable `{name}` must be http(s)://host[:port]"
        ))
    };
    let url = url.trim();
    let (https, rest) = if let Some(rest) = url.strip_prefix("http://") {
        (false, rest)
    } else if let Some(rest) = url.strip_prefix("https://") {
        (true, rest)
    } else {
        return Err(bad());
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.is_empty() || authority.contains(['/', '?', '#', '@', ' ']) {
        return Err(bad());
    }
    Ok(Upstream {
        https,
        authority: authority.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upstream_is_a_scheme_and_a_host_only() {
        assert_eq!(
            upstream("x", "http://sesame.spin.internal/").ok(),
            Some(Upstream {
                https: false,
                authority: "sesame.spin.internal".into()
            })
        );
        assert!(upstream("x", "https://h:8443").is_ok_and(|u| u.https));
        for bad in [
            "sesame.spin.internal",
            "http://",
            "http://h/path",
            "http://u@h",
            "ftp://h",
        ] {
            assert!(upstream("x", bad).is_err(), "{bad}");
        }
    }
}
