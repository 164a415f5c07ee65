//! Which component answers a request from outside, by the HTTP triggers' routes, as Spin's
//! router decides: an exact route (`/healthz`) before any wildcard, and among wildcards
//! (`/app/...`, `/...`) the longest prefix. Private components have no route here: they are
//! reached only by local service chaining (`chaining.rs`).

use anyhow::{Result, bail};

/// One route of one component.
#[derive(Debug)]
struct Route {
    /// The route as the manifest writes it (Spin's `spin-matched-route`).
    written: String,
    /// The path it matches exactly, or the prefix before `/...`.
    path: String,
    wildcard: bool,
    component: usize,
}

/// The app's public routes.
#[derive(Debug)]
pub(crate) struct Routes(Vec<Route>);

/// The route a path matched.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Matched {
    /// Index of the component that answers.
    pub(crate) component: usize,
    /// The route as written (`/app/...`).
    pub(crate) route: String,
    /// The part of the path below the route's prefix (Spin's `spin-path-info`).
    pub(crate) path_info: String,
}

impl Routes {
    /// The routes of `(component index, route)` pairs; one route given twice is an error, as
    /// Spin refuses an app whose routes collide.
    pub(crate) fn new<'a>(routes: impl IntoIterator<Item = (usize, &'a str)>) -> Result<Self> {
        let mut all: Vec<Route> = Vec::new();
        for (component, written) in routes {
            let (path, wildcard) = match written.strip_suffix("/...") {
                Some(prefix) => (prefix.to_owned(), true),
                None => (written.to_owned(), false),
            };
            if all.iter().any(|r| r.path == path && r.wildcard == wildcard) {
                bail!("route `{written}` is given twice");
            }
            all.push(Route {
                written: written.to_owned(),
                path,
                wildcard,
                component,
            });
        }
        Ok(Routes(all))
    }

    /// The route `path` (no query) goes to, if any.
    pub(crate) fn find(&self, path: &str) -> Option<Matched> {
        if let Some(exact) = self.0.iter().find(|r| !r.wildcard && r.path == path) {
            return Some(exact.matched(""));
        }
        self.0
            .iter()
            .filter(|r| r.wildcard)
            .filter(|r| {
                path.strip_prefix(r.path.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
            .max_by_key(|r| r.path.len())
            .map(|r| r.matched(&path[r.path.len()..]))
    }
}

impl Route {
    fn matched(&self, path_info: &str) -> Matched {
        Matched {
            component: self.component,
            route: self.written.clone(),
            path_info: path_info.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_specific_route_wins() -> Result<()> {
        let routes = Routes::new([
            (0, "/..."),
            (1, "/app/..."),
            (2, "/app/exact"),
            (3, "/app/deep/..."),
        ])?;
        let at = |path: &str| routes.find(path).map(|m| (m.component, m.path_info));
        assert_eq!(at("/"), Some((0, "/".into())));
        assert_eq!(at("/login"), Some((0, "/login".into())));
        assert_eq!(at("/app"), Some((1, String::new())));
        assert_eq!(at("/app/x"), Some((1, "/x".into())));
        assert_eq!(at("/application"), Some((0, "/application".into())));
        assert_eq!(at("/app/exact"), Some((2, String::new())));
        assert_eq!(at("/app/deep/a/b"), Some((3, "/a/b".into())));
        Ok(())
    }

    #[test]
    fn without_a_catch_all_some_paths_match_nothing() -> Result<()> {
        let routes = Routes::new([(1, "/app/...")])?;
        assert_eq!(routes.find("/other"), None);
        assert!(Routes::new([(0, "/a/..."), (1, "/a/...")]).is_err());
        Ok(())
    }
}
