//! WAGI's `modules.toml`: one `[[module]]` table per route, with the keys WAGI documents —
//! `route` (exact, or ending in `/...` for a prefix), `module` (a path, relative to the file's
//! directory), `entrypoint` (default `_start`), `argv` (a template, default
//! `${SCRIPT_NAME} ${ARGS}`), `volumes` (guest path = host path), `environment`,
//! `http_max_concurrency`, and `allowed_hosts` (outbound HTTP, which wexe does not offer: only
//! an empty list is accepted). Every error names the file and line: bad syntax, an unknown key,
//! a module file that does not exist, a route given twice.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use serde::Deserialize;
use toml::Spanned;

use crate::route::Route;

/// One route of the configuration.
#[derive(Clone, Debug)]
pub struct ModuleSpec {
    pub route: Route,
    /// The module file.
    pub module: PathBuf,
    /// The exported function called for each request.
    pub entrypoint: String,
    /// The argv template: words, with `${SCRIPT_NAME}` and `${ARGS}` substituted.
    pub argv: String,
    /// Host directories granted to the program: (host path, guest path), read-write as in WAGI.
    pub volumes: Vec<(PathBuf, String)>,
    /// Variables set for the program (before the CGI ones, which take precedence).
    pub environment: Vec<(String, String)>,
    /// How many requests may run this module at once (beyond: 503); `None`: the server's default.
    pub max_concurrency: Option<usize>,
}

/// WAGI's default argv: the script name, then the query parameters.
pub const DEFAULT_ARGV: &str = "${SCRIPT_NAME} ${ARGS}";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    module: Vec<Spanned<RawModule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModule {
    route: Spanned<String>,
    module: Spanned<String>,
    entrypoint: Option<String>,
    argv: Option<String>,
    #[serde(default)]
    volumes: BTreeMap<String, String>,
    #[serde(default)]
    environment: BTreeMap<String, String>,
    http_max_concurrency: Option<Spanned<u64>>,
    allowed_hosts: Option<Spanned<Vec<String>>>,
}

/// The line (from 1) of byte `offset` of `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let before = &text.as_bytes()[..offset.min(text.len())];
    before.iter().filter(|&&b| b == b'\n').count() + 1
}

/// Reads and checks the configuration file `path`.
pub fn load(path: &Path) -> Result<Vec<ModuleSpec>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow!("cannot read {}: {e}", path.display()))?;
    parse(path, &text)
}

/// Parses and checks the text of the configuration file `path`.
pub fn parse(path: &Path, text: &str) -> Result<Vec<ModuleSpec>> {
    let fail = |offset: usize, msg: String| -> anyhow::Error {
        anyhow!("{}:{}: {msg}", path.display(), line_of(text, offset))
    };
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        fail(offset, e.message().trim().to_string())
    })?;
    if raw.module.is_empty() {
        return Err(fail(0, "no `[[module]]` is configured".into()));
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut specs: Vec<ModuleSpec> = Vec::new();
    for spanned in raw.module {
        let m = spanned.into_inner();
        let route = Route::parse(m.route.get_ref())
            .map_err(|e| fail(m.route.span().start, e.to_string()))?;
        if let Some(other) = specs.iter().find(|s| s.route == route) {
            let msg = format!("route `{}` is configured twice", other.route);
            return Err(fail(m.route.span().start, msg));
        }
        let module = dir.join(m.module.get_ref());
        if !module.is_file() {
            let msg = format!("module file {} does not exist", module.display());
            return Err(fail(m.module.span().start, msg));
        }
        if let Some(hosts) = m.allowed_hosts.filter(|h| !h.get_ref().is_empty()) {
            let msg = "`allowed_hosts` (outbound HTTP) is not supported by wexe serve".into();
            return Err(fail(hosts.span().start, msg));
        }
        let max_concurrency = match m.http_max_concurrency {
            Some(n) if *n.get_ref() == 0 => {
                return Err(fail(
                    n.span().start,
                    "http_max_concurrency must be at least 1".into(),
                ));
            }
            Some(n) => Some(usize::try_from(*n.get_ref()).unwrap_or(usize::MAX)),
            None => None,
        };
        specs.push(ModuleSpec {
            route,
            module,
            entrypoint: m.entrypoint.unwrap_or_else(|| "_start".into()),
            argv: m.argv.unwrap_or_else(|| DEFAULT_ARGV.into()),
            volumes: m
                .volumes
                .into_iter()
                .map(|(guest, host)| (dir.join(host), guest))
                .collect(),
            environment: m.environment.into_iter().collect(),
            max_concurrency,
        });
    }
    Ok(specs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in(dir: &Path, text: &str) -> Result<Vec<ModuleSpec>> {
        parse(&dir.join("modules.toml"), text)
    }

    #[test]
    fn a_wagi_configuration() {
        let dir = std::env::temp_dir().join(format!("wexe-serve-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.wasm"), b"").unwrap();
        let specs = parse_in(
            &dir,
            r#"
[[module]]
route = "/"
module = "a.wasm"

[[module]]
route = "/api/..."
module = "a.wasm"
entrypoint = "serve"
argv = "${SCRIPT_NAME} -v ${ARGS}"
volumes = { "/data" = "data" }
environment = { MODE = "fast" }
http_max_concurrency = 4
"#,
        )
        .unwrap();
        assert_eq!(specs.len(), 2);
        assert_eq!(specs[0].entrypoint, "_start");
        assert_eq!(specs[0].argv, DEFAULT_ARGV);
        assert_eq!(specs[1].route.to_string(), "/api/...");
        assert_eq!(
            specs[1].volumes,
            vec![(dir.join("data"), "/data".to_string())]
        );
        assert_eq!(specs[1].environment, vec![("MODE".into(), "fast".into())]);
        assert_eq!(specs[1].max_concurrency, Some(4));

        let err = |text: &str| parse_in(&dir, text).unwrap_err().to_string();
        let file = dir.join("modules.toml").display().to_string();
        let e = err("[[module]]\nroute = \"/\"\nmodule = \"a.wasm\"\nroot = 1\n");
        assert!(e.starts_with(&format!("{file}:")), "{e}");
        assert!(e.contains("unknown field `root`"), "{e}");
        let e = err("[[module]]\nroute = \"/\"\nmodule = \"missing.wasm\"\n");
        assert_eq!(
            e,
            format!(
                "{file}:3: module file {} does not exist",
                dir.join("missing.wasm").display()
            )
        );
        let e = err(
            "[[module]]\nroute = \"/\"\nmodule = \"a.wasm\"\n[[module]]\nroute = \"/\"\nmodule = \"a.wasm\"\n",
        );
        assert_eq!(e, format!("{file}:5: route `/` is configured twice"));
        let e = err("[[module]\nroute = \"/\"\n");
        assert!(e.starts_with(&format!("{file}:1: ")), "{e}");
        let e = err("[[module]]\nroute = \"nope\"\nmodule = \"a.wasm\"\n");
        assert!(e.starts_with(&format!("{file}:2: ")), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
