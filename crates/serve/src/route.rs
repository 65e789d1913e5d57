//! Routes as WAGI writes them: `/path` matches that path exactly, `/path/...` matches `/path`
//! and everything below it (and `/...` every path). A request goes to the route that matches
//! exactly, else to the longest matching prefix. The part of the path after the route is the
//! CGI `PATH_INFO`; the route's own path is `SCRIPT_NAME`.

use std::fmt;

use anyhow::{Result, bail};

/// A parsed route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// The path, without the `/...` of a prefix route (empty for `/...`).
    path: String,
    prefix: bool,
}

impl Route {
    pub fn parse(text: &str) -> Result<Route> {
        if !text.starts_with('/') {
            bail!("route `{text}` must start with `/`");
        }
        let (path, prefix) = match text.strip_suffix("/...") {
            Some(p) => (p, true),
            None => (text, false),
        };
        if path.contains("...") || path.contains(['?', '#']) {
            bail!("route `{text}`: only a final `/...` may mark a prefix, and no `?` or `#`");
        }
        Ok(Route {
            path: path.to_string(),
            prefix,
        })
    }

    /// The route every path takes (`/...`), for a server of one program.
    pub fn everything() -> Route {
        Route {
            path: String::new(),
            prefix: true,
        }
    }

    /// CGI's `SCRIPT_NAME`: the route's path.
    pub fn script_name(&self) -> &str {
        &self.path
    }

    /// The rest of `path` after the route (CGI's `PATH_INFO`), when the route matches it.
    pub fn matches<'p>(&self, path: &'p str) -> Option<&'p str> {
        if self.prefix {
            let rest = path.strip_prefix(self.path.as_str())?;
            (rest.is_empty() || rest.starts_with('/')).then_some(rest)
        } else {
            (path == self.path).then_some("")
        }
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.prefix, self.path.as_str()) {
            (true, p) => write!(f, "{p}/..."),
            (false, p) => f.write_str(p),
        }
    }
}

/// The route among `routes` that takes `path`, and the path's rest: an exact route first, then
/// the longest prefix.
pub fn select<'p>(routes: &[Route], path: &'p str) -> Option<(usize, &'p str)> {
    let mut best: Option<(usize, &str)> = None;
    for (i, r) in routes.iter().enumerate() {
        let Some(rest) = r.matches(path) else {
            continue;
        };
        if !r.prefix {
            return Some((i, rest));
        }
        if best.is_none_or(|(b, _)| routes[b].path.len() < r.path.len()) {
            best = Some((i, rest));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_routes_then_the_longest_prefix() {
        let routes: Vec<Route> = ["/...", "/api/...", "/api/v1/...", "/api/exact", "/hello"]
            .iter()
            .map(|r| Route::parse(r).unwrap())
            .collect();
        assert_eq!(select(&routes, "/"), Some((0, "/")));
        assert_eq!(select(&routes, "/other/x"), Some((0, "/other/x")));
        assert_eq!(select(&routes, "/api"), Some((1, "")));
        assert_eq!(select(&routes, "/api/x/y"), Some((1, "/x/y")));
        assert_eq!(select(&routes, "/apix"), Some((0, "/apix")));
        assert_eq!(select(&routes, "/api/v1/z"), Some((2, "/z")));
        assert_eq!(select(&routes, "/api/exact"), Some((3, "")));
        assert_eq!(select(&routes, "/hello"), Some((4, "")));
        assert_eq!(select(&routes, "/hello/x"), Some((0, "/hello/x")));
        assert_eq!(select(&routes[1..], "/nothing"), None);
        assert_eq!(routes[1].script_name(), "/api");
        assert_eq!(routes[1].to_string(), "/api/...");
        assert!(Route::parse("api").is_err());
        assert!(Route::parse("/a/.../b").is_err());
    }
}
