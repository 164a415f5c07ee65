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

/// Sesame's sign-in page, a path under the app's public URL (Sesame serves the app's other
/// routes).
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
    /// Where the app is reached from outside (`public_url`): the only origin the guard ever
    /// describes a request with, whatever `Host` the client sent.
    pub(crate) public: Upstream,
    /// Where a browser signs in: `sign_in_path` under the public URL, or the URL it names.
    pub(crate) sign_in_url: String,
}

/// Why the guard cannot run: named in the log, never shown to the client.
#[derive(Debug)]
pub(crate) struct ConfigError(pub(crate) String);

/// The settings from the Spin variables `sesame_url`, `app_url` and `public_url` (both
/// required), `check_query` and `sign_in_path`; an empty value is the default.
///
/// `public_url` is required because the client's `Host` says nothing the guard may believe:
/// any `Host` reaches the same app, and Sesame's access rules match their `domain` against
/// the host the guard describes.
pub(crate) fn settings() -> Result<Settings, ConfigError> {
    let get = |name: &str| -> Result<Option<String>, ConfigError> {
        let value = store::get(name)
            .map_err(|e| ConfigError(format!("the Spin variable `{name}` is unreadable: {e:?}")))?;
        Ok(value.filter(|v| !v.trim().is_empty()))
    };
    let sesame_url = get("sesame_url")?.unwrap_or_else(|| DEFAULT_SESAME_URL.to_owned());
    let app_url = get("app_url")?
        .ok_or_else(|| ConfigError("the Spin variable `app_url` is not set".into()))?;
    let public_url = get("public_url")?.ok_or_else(|| {
        ConfigError(
            "the Spin variable `public_url` is not set (where the app is reached from \
             outside, e.g. https://app.example.com; pass Sesame's own)"
                .into(),
        )
    })?;
    let (public, base) = public(&public_url)?;
    let sign_in_path = get("sign_in_path")?.unwrap_or_else(|| DEFAULT_SIGN_IN_PATH.to_owned());
    let sign_in_url = if sign_in_path.starts_with('/') {
        format!("{base}{sign_in_path}")
    } else {
        sign_in_path
    };
    Ok(Settings {
        sesame: upstream("sesame_url", &sesame_url)?,
        app: upstream("app_url", &app_url)?,
        check_query: get("check_query")?
            .map(|q| q.trim().trim_start_matches('?').to_owned())
            .unwrap_or_default(),
        public,
        sign_in_url,
    })
}

/// The public URL `url` (`http(s)://host[:port][/path]`, as Sesame's own `public_url`): its
/// origin, and the URL without a trailing `/` that Sesame's paths are appended to. A query,
/// fragment or credentials are refused, so the variable means exactly one thing.
pub(crate) fn public(url: &str) -> Result<(Upstream, String), ConfigError> {
    let base = url.trim().trim_end_matches('/');
    let (scheme, rest) = base.split_once("://").unwrap_or(("", base));
    let authority = rest.split('/').next().unwrap_or_default();
    if base.contains(['?', '#', ' ']) {
        return Err(ConfigError(
            "the Spin variable `public_url` must be http(s)://host[:port][/path]".into(),
        ));
    }
    let origin = upstream("public_url", &format!("{scheme}://{authority}"))?;
    Ok((origin, base.to_owned()))
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

    #[test]
    fn the_public_url_gives_an_origin_and_a_base() {
        let (origin, base) = public("https://app.example.com/").unwrap();
        assert!(origin.https);
        assert_eq!(origin.authority, "app.example.com");
        assert_eq!(base, "https://app.example.com");
        let (origin, base) = public("http://127.0.0.1:3000/auth/").unwrap();
        assert_eq!(origin.authority, "127.0.0.1:3000");
        assert_eq!(base, "http://127.0.0.1:3000/auth");
        for bad in [
            "app.example.com",
            "https://",
            "https:///x",
            "https://u@app.example.com",
            "https://app.example.com/?x=1",
            "https://app.example.com/#x",
            "ftp://app.example.com",
        ] {
            assert!(public(bad).is_err(), "{bad}");
        }
    }
}
