//! Sesame's settings from Spin variables.
//!
//! Every `SESAME_*` setting of core's [`Config::from_vars`] is a Spin variable of the same name
//! without the prefix, in lower case: `SESAME_SECRET` is `secret`, `SESAME_SESSION_IDLE_SECS`
//! is `session_idle_secs`. `spin.toml` declares each one (the secret as required, the others
//! with Sesame's defaults) and hands it to the component; an empty value means core's default.
//! They are read in one `wasi:config/store.get-all` call per request, so a variable provider
//! (Vault, Azure Key Vault, environment) is asked once, not once per setting.
//!
//! Two variables are the component's own, not core's: `store` and `postgres_url`
//! ([`StoreChoice`]), as `sesame serve` takes its store on the command line.

use sesame_core::{Config, Error};

use crate::store::StoreChoice;

/// Prefix core's settings carry and Spin variable names do not.
const SETTING_PREFIX: &str = "SESAME_";

/// What the component's Spin variables configure: core's settings and the store.
pub struct Settings {
    /// core's configuration.
    pub config: Config,
    /// Where records are kept (`store`, `postgres_url`).
    pub store: StoreChoice,
}

/// The configuration from the component's Spin variables.
///
/// Fails with [`Error::Config`] naming the Spin variable (never its value) when the secret is
/// missing or a setting is invalid: every request then answers `500 internal` and the reason
/// is in Spin's log, instead of the component trapping.
pub fn settings() -> Result<Settings, Error> {
    let variables = all_variables()?;
    let store = StoreChoice::from_variables(&variables)?;
    let mut config = from_variables(variables)?;
    if let Some(dir) = config.branding.templates_dir.clone() {
        let files = read_templates(&dir)?;
        config.branding.override_templates(files)?;
    }
    Ok(Settings { config, store })
}

/// Every variable the component is given, by name.
fn all_variables() -> Result<Vec<(String, String)>, Error> {
    // `wit` is spin-sdk's generated binding module; the SDK wraps `fermyon:spin/variables`
    // (one call per name) but not `wasi:config/store.get-all`, which reads them all at once.
    spin_sdk::wit::wasi::config::store::get_all()
        .map_err(|e| Error::Config(format!("the Spin variables could not be read: {e:?}")))
}

/// The `*.html` files of `dir`, a directory Spin mounted for the component with `files`
/// (read-only): the deployment's replacements of page templates.
fn read_templates(dir: &str) -> Result<Vec<(String, String)>, Error> {
    let unreadable =
        |e: std::io::Error| Error::Config(format!("Spin variable `templates_dir`: {dir}: {e}"));
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let path = entry.map_err(unreadable)?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if name.ends_with(".html") {
            let name = name.to_owned();
            files.push((name, std::fs::read_to_string(&path).map_err(unreadable)?));
        }
    }
    Ok(files)
}

/// Core's configuration from Spin variable names and values.
pub fn from_variables(
    variables: impl IntoIterator<Item = (String, String)>,
) -> Result<Config, Error> {
    let settings: Vec<(String, String)> = variables
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| {
            (
                format!("{SETTING_PREFIX}{}", name.to_ascii_uppercase()),
                value,
            )
        })
        .collect();
    Config::from_vars(settings.iter().map(|(k, v)| (k.as_str(), v.as_str()))).map_err(|e| match e {
        Error::Config(why) => Error::Config(spin_names(&why)),
        other => other,
    })
}

/// Rewrites core's setting names in a message (`SESAME_SECRET is not set`) as the Spin
/// variables an operator sets (`Spin variable `secret` is not set`).
fn spin_names(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find(SETTING_PREFIX) {
        out.push_str(&rest[..at]);
        let after = &rest[at + SETTING_PREFIX.len()..];
        let end = after
            .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(after.len());
        out.push_str("Spin variable `");
        out.push_str(&after[..end].to_ascii_lowercase());
        out.push('`');
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}
