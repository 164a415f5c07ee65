//! The part of a Spin manifest (`spin.toml`, version 2) the test host acts on, read and
//! checked the way `spin up` treats it: the HTTP trigger's component, its source, the SQLite
//! databases it is granted, and its variables resolved from the application variables.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

/// The manifest fields the test host reads; others (`[application]`, `build`, ...) are Spin's.
#[derive(Debug, Deserialize)]
struct Manifest {
    spin_manifest_version: u32,
    #[serde(default)]
    variables: BTreeMap<String, AppVariable>,
    trigger: Triggers,
    component: BTreeMap<String, ComponentDef>,
}

/// An application variable: a default, or `required = true` (Spin accepts exactly one).
#[derive(Debug, Deserialize)]
struct AppVariable {
    default: Option<String>,
    #[serde(default)]
    required: bool,
}

#[derive(Debug, Deserialize)]
struct Triggers {
    http: Vec<HttpTrigger>,
}

#[derive(Debug, Deserialize)]
struct HttpTrigger {
    route: String,
    component: String,
}

#[derive(Debug, Deserialize)]
struct ComponentDef {
    source: String,
    #[serde(default)]
    sqlite_databases: Vec<String>,
    #[serde(default)]
    variables: BTreeMap<String, String>,
    #[serde(default)]
    allowed_outbound_hosts: Vec<String>,
}

/// What the test host runs, from the manifest.
#[derive(Debug)]
pub(crate) struct App {
    /// The component file (the manifest's `source`, relative to the manifest).
    pub(crate) source: PathBuf,
    /// The SQLite databases the component may open.
    pub(crate) sqlite_databases: Vec<String>,
    /// The component's variables with every `{{ name }}` replaced by its value.
    pub(crate) variables: Vec<(String, String)>,
    /// Where the component may send requests (templates resolved); see `outbound.rs`.
    pub(crate) allowed_outbound_hosts: Vec<String>,
}

/// Reads `path` and resolves the component serving `/...`. Application variables take their
/// value from `overrides` (`--variable`), then `SPIN_VARIABLE_<NAME>` in the environment (as
/// Spin's environment provider), then their default; a required one with no value is an error,
/// as `spin up` refuses to start without it.
pub(crate) fn load(path: &Path, overrides: &[(String, String)]) -> Result<App> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the manifest {}", path.display()))?;
    let manifest: Manifest = toml::from_str(&text)
        .with_context(|| format!("{} is not a Spin manifest", path.display()))?;
    if manifest.spin_manifest_version != 2 {
        bail!("spin_manifest_version must be 2");
    }
    let Some(trigger) = manifest.trigger.http.iter().find(|t| t.route == "/...") else {
        bail!("no [[trigger.http]] has route \"/...\"");
    };
    let Some(component) = manifest.component.get(&trigger.component) else {
        bail!(
            "the trigger names component `{}`, which is not defined",
            trigger.component
        );
    };

    let mut values = BTreeMap::new();
    for (name, variable) in &manifest.variables {
        if variable.required == variable.default.is_some() {
            bail!("variable `{name}` must have either a default or `required = true`");
        }
        let given = overrides
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .or_else(|| std::env::var(format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase())).ok())
            .or_else(|| variable.default.clone());
        match given {
            Some(value) => values.insert(name.as_str(), value),
            None => bail!(
                "variable `{name}` is required: pass --variable {name}=... or set SPIN_VARIABLE_{}",
                name.to_ascii_uppercase()
            ),
        };
    }
    let variables = component
        .variables
        .iter()
        .map(|(name, template)| Ok((name.clone(), resolve(template, &values)?)))
        .collect::<Result<_>>()?;
    let allowed_outbound_hosts = component
        .allowed_outbound_hosts
        .iter()
        .map(|template| resolve(template, &values))
        .collect::<Result<_>>()?;

    let base = path.parent().unwrap_or(Path::new("."));
    Ok(App {
        source: base.join(&component.source),
        sqlite_databases: component.sqlite_databases.clone(),
        variables,
        allowed_outbound_hosts,
    })
}

/// Replaces each `{{ name }}` in `template` by the application variable's value.
fn resolve(template: &str, values: &BTreeMap<&str, String>) -> Result<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start..].find("}}") else {
            bail!("unclosed `{{{{` in `{template}`");
        };
        let name = rest[start + 2..start + len].trim();
        let Some(value) = values.get(name) else {
            bail!("`{template}` names `{name}`, which is not an application variable");
        };
        out.push_str(value);
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    Ok(out)
}
