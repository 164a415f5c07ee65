//! Which languages a deployment answers in.

use super::Language;
use crate::error::{Error, Result};
use crate::settings::{Setting, section};

/// The languages pages, mail and error messages may be in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanguageSettings {
    /// The language when the request names none of the allowed ones.
    pub default: Language,
    /// The languages a request may get (always including the default).
    pub allowed: Vec<Language>,
}

impl Default for LanguageSettings {
    /// English by default; every shipped language allowed.
    fn default() -> Self {
        LanguageSettings {
            default: Language::En,
            allowed: Language::ALL.to_vec(),
        }
    }
}

impl LanguageSettings {
    /// Adds the default to the allowed languages when the list left it out.
    pub(crate) fn settle(&mut self) {
        if !self.allowed.contains(&self.default) {
            self.allowed.insert(0, self.default);
        }
    }
}

/// One shipped language by its tag.
fn language(name: &str, value: &str) -> Result<Language> {
    Language::from_tag(value.trim()).ok_or_else(|| {
        Error::Config(format!(
            "{name}: '{value}' is not one of the shipped languages (en, de, fr, es)"
        ))
    })
}

/// A comma-separated list of shipped languages.
fn languages(name: &str, value: &str) -> Result<Vec<Language>> {
    let mut list = Vec::new();
    for tag in crate::settings::list(value) {
        let l = language(name, tag)?;
        if !list.contains(&l) {
            list.push(l);
        }
    }
    if list.is_empty() {
        return Err(Error::Config(format!("{name} names no language")));
    }
    Ok(list)
}

/// The language variables.
pub const SETTINGS: &[Setting<LanguageSettings>] = section! {
    "SESAME_DEFAULT_LANGUAGE" = "en", default <- language, "language of pages, mail and messages when the browser asks for none of the allowed ones (en, de, fr, es)";
    "SESAME_LANGUAGES" = "en,de,fr,es", allowed <- languages, "comma-separated languages a browser's Accept-Language may choose from";
};
