//! Pages as templates: the compiled-in templates (`core/templates/*.html`) or a deployment's
//! replacements, rendered with HTML auto-escaping in the request's language, with the brand
//! and the stylesheet every page shares.
//!
//! Templates see `lang`, `product`, `logo_url`, `support_url` and `css_url`, plus what the page
//! passes, and call `t("message-id", name=value)` for catalog text (escaped like any value).
//! Undefined values are errors, so a misspelt name fails the tests instead of rendering empty.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, OnceLock};

use fluent_bundle::FluentValue;
use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, State, UndefinedBehavior};
use sha2::{Digest, Sha256};

use crate::branding::TEMPLATES;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::i18n::Language;

/// The stylesheet every page loads, before the brand colour is put in front of it.
const STYLESHEET: &str = include_str!("../../templates/sesame.css");

/// How much work one page may take to render (minijinja's fuel: about one unit per
/// instruction of a template).
const TEMPLATE_FUEL: u64 = 2_000_000;

/// What a page is rendered with: the request's language and the deployment's brand.
pub(crate) struct View<'a> {
    /// The language of the page.
    pub lang: Language,
    config: &'a Config,
}

impl<'a> View<'a> {
    /// A view in `lang` for the deployment `config`.
    pub(crate) fn new(lang: Language, config: &'a Config) -> Self {
        View { lang, config }
    }

    /// Catalog text in the page's language.
    pub(crate) fn t(&self, id: &str) -> String {
        self.lang.t(id)
    }

    /// Catalog text with values in the page's language.
    pub(crate) fn text(&self, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        self.lang.text(id, args)
    }

    /// Renders template `name` with `values` (a `minijinja::context!`). Fails with
    /// [`Error::Config`] when a replaced template does not render, so the host logs why.
    pub(crate) fn render(&self, name: &str, values: Value) -> Result<String> {
        let branding = &self.config.branding;
        let context = minijinja::context! {
            lang => self.lang.tag(),
            product => branding.product_name.clone(),
            logo_url => branding.logo_url.clone(),
            support_url => branding.support_url.clone(),
            css_url => stylesheet_url(self.config),
            ..values
        };
        let environment = environment(self.config)?;
        environment
            .get_template(name)
            .and_then(|template| template.render(context))
            .map_err(|e| Error::Config(format!("page template {name}: {e:#}")))
    }
}

/// The stylesheet with the deployment's colour, as served at `/sesame.css`.
pub(crate) fn stylesheet(config: &Config) -> String {
    format!(
        ":root {{ --brand: {}; }}\n{STYLESHEET}",
        config.branding.primary_color
    )
}

/// Where pages load the stylesheet from: `/sesame.css` with a hash of its content, so a
/// browser may keep it for a year and still sees every change at once.
pub(crate) fn stylesheet_url(config: &Config) -> String {
    format!("/sesame.css?v={}", stylesheet_version(config))
}

/// The first 16 hex digits of the SHA-256 of the stylesheet served: worked out once per
/// brand colour, since every page links it.
pub(crate) fn stylesheet_version(config: &Config) -> String {
    static VERSIONS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());
    let made: Result<String> = remembered(&VERSIONS, &config.branding.primary_color, || {
        let digest = Sha256::digest(stylesheet(config).as_bytes());
        Ok(hex::encode(&digest[..8]))
    });
    made.unwrap_or_default()
}

/// The value `make` gives for `key`, made once and kept in `memo`: the last 8 keys (a process
/// serves one deployment's brand and templates; tests a few).
fn remembered<K: PartialEq + Clone, V: Clone>(
    memo: &Mutex<Vec<(K, V)>>,
    key: &K,
    make: impl FnOnce() -> Result<V>,
) -> Result<V> {
    let mut memo = memo.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, value)) = memo.iter().find(|(k, _)| k == key) {
        return Ok(value.clone());
    }
    let value = make()?;
    if memo.len() >= 8 {
        memo.remove(0);
    }
    memo.push((key.clone(), value.clone()));
    Ok(value)
}

/// The template environment of `config`: the compiled-in one, or for replaced templates one
/// built once per set of replacements (a host has one; tests a few).
fn environment(config: &Config) -> Result<Arc<Environment<'static>>> {
    static COMPILED_IN: OnceLock<std::result::Result<Arc<Environment<'static>>, String>> =
        OnceLock::new();
    static REPLACED: Mutex<Vec<(u64, Arc<Environment<'static>>)>> = Mutex::new(Vec::new());
    let replaced = &config.branding.templates;
    if replaced.is_empty() {
        return COMPILED_IN
            .get_or_init(|| build_environment(replaced).map(Arc::new))
            .clone()
            .map_err(Error::Config);
    }
    let mut hasher = DefaultHasher::new();
    replaced.hash(&mut hasher);
    remembered(&REPLACED, &hasher.finish(), || {
        build_environment(replaced)
            .map(Arc::new)
            .map_err(Error::Config)
    })
}

fn build_environment(
    replaced: &std::collections::BTreeMap<String, String>,
) -> std::result::Result<Environment<'static>, String> {
    let mut environment = Environment::new();
    environment.set_undefined_behavior(UndefinedBehavior::Strict);
    // A replaced template that loops or grows without end fails at once with its reason,
    // instead of holding an instance until the request deadline. Sesame's own pages use a
    // few thousand units; the account page of someone with hundreds of sessions, a few
    // hundred thousand.
    environment.set_fuel(Some(TEMPLATE_FUEL));
    // Templates end in `.html`: every value they print is escaped unless marked safe.
    for (name, source) in TEMPLATES {
        match replaced.get(*name) {
            Some(own) => environment.add_template_owned(name.to_string(), own.clone()),
            None => environment.add_template(name, source),
        }
        .map_err(|e| format!("page template {name}: {e}"))?;
    }
    environment.add_function("t", translate);
    environment.set_formatter(crate::html::escaping_formatter);
    Ok(environment)
}

/// `t("id", name=value, ...)`: the catalog text `id` in the page's language.
fn translate(
    state: &State<'_, '_>,
    id: &str,
    kwargs: Kwargs,
) -> std::result::Result<String, minijinja::Error> {
    let lang = state
        .lookup("lang")
        .and_then(|v| v.as_str().and_then(Language::from_tag))
        .unwrap_or(Language::En);
    let mut args: Vec<(String, FluentValue<'static>)> = Vec::new();
    for name in kwargs.args() {
        let value: Value = kwargs.get(name)?;
        let fluent = match value.as_i64() {
            Some(n) => FluentValue::from(n),
            None => FluentValue::from(value.to_string()),
        };
        args.push((name.to_owned(), fluent));
    }
    let borrowed: Vec<(&str, FluentValue<'_>)> =
        args.iter().map(|(n, v)| (n.as_str(), v.clone())).collect();
    Ok(lang.text(id, &borrowed))
}
