//! How a deployment looks without forking Sesame: the product's name, logo, colour and support
//! address, used by every page and mail, and the page templates it replaces.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::settings::{Setting, given_text, section};

include!(concat!(env!("OUT_DIR"), "/templates.rs"));

/// The deployment's brand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branding {
    /// The product's name, in page titles, headings and mail (`Sesame` by default).
    pub product_name: String,
    /// An absolute `https://` (or loopback `http://`) URL of a logo shown above every page;
    /// pages may load images from its origin and no other.
    pub logo_url: Option<String>,
    /// The colour of buttons, links and focus rings, as `#rrggbb`.
    pub primary_color: String,
    /// Where people get help (a URL, `mailto:` included), linked from every page and mail.
    pub support_url: Option<String>,
    /// Page templates replacing the compiled-in ones, by file name (`login.html`), each
    /// checked to be one of [`TEMPLATES`] and to parse when given.
    pub templates: BTreeMap<String, String>,
    /// A directory the component reads replacement templates from at start (`*.html` named
    /// like [`TEMPLATES`]): for Spin, a directory mounted with `files`. The adapter reads it;
    /// `sesame serve` takes `--templates DIR` and passes the files as `SESAME_TEMPLATES`.
    pub templates_dir: Option<String>,
}

impl Default for Branding {
    fn default() -> Self {
        Branding {
            product_name: "Sesame".into(),
            logo_url: None,
            primary_color: "#2457c5".into(),
            support_url: None,
            templates: BTreeMap::new(),
            templates_dir: None,
        }
    }
}

impl Branding {
    /// Replaces compiled-in templates with a deployment's (`name` → source), after checking
    /// that each name is a template Sesame renders and that each source parses.
    pub fn override_templates(
        &mut self,
        files: impl IntoIterator<Item = (String, String)>,
    ) -> Result<()> {
        for (name, source) in files {
            check_template(&name, &source)?;
            self.templates.insert(name, source);
        }
        Ok(())
    }

    /// The logo's origin (`https://cdn.example.com`), which the pages' policy allows images
    /// from.
    pub fn logo_origin(&self) -> Option<String> {
        let url = self.logo_url.as_deref()?;
        let (scheme, rest) = url.split_once("://")?;
        let authority = rest.split(['/', '?', '#']).next()?;
        Some(format!("{scheme}://{authority}"))
    }
}

/// Sesame's own templates: file name and source.
pub fn default_templates() -> impl Iterator<Item = (&'static str, &'static str)> {
    TEMPLATES.iter().copied()
}

/// The names of the templates a deployment may replace.
pub fn template_names() -> impl Iterator<Item = &'static str> {
    TEMPLATES.iter().map(|(name, _)| *name)
}

/// Fails unless `name` is one of Sesame's templates and `source` parses as a template.
fn check_template(name: &str, source: &str) -> Result<()> {
    if !TEMPLATES.iter().any(|(known, _)| *known == name) {
        return Err(Error::Config(format!(
            "templates: {name} is not one of Sesame's page templates"
        )));
    }
    let mut check = minijinja::Environment::new();
    check
        .add_template(name, source)
        .map_err(|e| Error::Config(format!("templates: {name} does not parse: {e}")))?;
    Ok(())
}

/// `SESAME_TEMPLATES`: a JSON object of template name → source, each checked.
fn templates(name: &str, value: &str) -> Result<BTreeMap<String, String>> {
    if value.trim().is_empty() {
        return Ok(BTreeMap::new());
    }
    let given: BTreeMap<String, String> = serde_json::from_str(value).map_err(|e| {
        Error::Config(format!(
            "{name} is a JSON object of template name to template source: {e}"
        ))
    })?;
    for (template, source) in &given {
        check_template(template, source)?;
    }
    Ok(given)
}

/// A product name: printable, at most 64 characters.
fn product_name(name: &str, value: &str) -> Result<String> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > 64 || value.chars().any(char::is_control) {
        return Err(Error::Config(format!(
            "{name} is 1 to 64 printable characters"
        )));
    }
    Ok(value.to_owned())
}

/// An absolute URL that is safe in an attribute and a policy: `https://`, or `http://` on
/// loopback, no spaces, quotes or angle brackets.
fn image_url(name: &str, value: &str) -> Result<Option<String>> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let plain_loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
        .iter()
        .any(|p| value.starts_with(p));
    let safe = value.len() <= 2048
        && !value
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "\"'<>;,".contains(c));
    if !(value.starts_with("https://") || plain_loopback) || !safe {
        return Err(Error::Config(format!(
            "{name} is an absolute https:// URL (http:// only on loopback) without quotes, commas, semicolons or spaces"
        )));
    }
    Ok(Some(value.to_owned()))
}

/// A support link: `https://`, `http://` or `mailto:`, without quotes or angle brackets.
fn support_url(name: &str, value: &str) -> Result<Option<String>> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let scheme_ok = ["https://", "http://", "mailto:"]
        .iter()
        .any(|p| value.starts_with(p));
    if !scheme_ok
        || value.len() > 2048
        || value
            .chars()
            .any(|c| c.is_whitespace() || "\"'<>".contains(c))
    {
        return Err(Error::Config(format!(
            "{name} is an https://, http:// or mailto: URL without spaces or quotes"
        )));
    }
    Ok(Some(value.to_owned()))
}

/// A colour as `#rrggbb`, lower-cased.
fn color(name: &str, value: &str) -> Result<String> {
    let value = value.trim();
    let hex = value.strip_prefix('#').unwrap_or_default();
    if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(Error::Config(format!("{name} is a colour as #rrggbb")));
    }
    Ok(value.to_ascii_lowercase())
}

/// The branding variables.
pub const SETTINGS: &[Setting<Branding>] = section! {
    "SESAME_PRODUCT_NAME" = "Sesame", product_name <- product_name, "the product's name in page titles, headings and mail";
    "SESAME_LOGO_URL" = "", logo_url <- image_url, "absolute https:// URL of a logo shown on every page (pages may load images from its origin)";
    "SESAME_PRIMARY_COLOR" = "#2457c5", primary_color <- color, "colour of buttons, links and focus rings, as #rrggbb";
    "SESAME_SUPPORT_URL" = "", support_url <- support_url, "where people get help (https:// or mailto:), linked from every page and mail";
    "SESAME_TEMPLATES" = "", templates <- templates, "replaced page templates as a JSON object of file name to source (`sesame serve --templates DIR` fills it from a directory)";
    "SESAME_TEMPLATES_DIR" = "", templates_dir <- given_text, "directory the Spin component reads replaced page templates (*.html) from at start, mounted with `files`";
};
