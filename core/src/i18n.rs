//! Languages: which one a request is answered in, and the message catalogs of pages, mail and
//! error messages.
//!
//! The catalogs are Fluent files (`core/locales/<language>/<area>.ftl`) compiled into the
//! component, one set per shipped language. A request's language comes from its
//! `Accept-Language`, negotiated among the deployment's allowed languages
//! (`SESAME_LANGUAGES`), falling back to `SESAME_DEFAULT_LANGUAGE`. A message missing in a
//! language (which the catalog test forbids for shipped languages) falls back to English, so
//! a page never shows an identifier.
//!
//! Error messages are keyed by their English text, the way gettext keys messages by their
//! source string: core builds errors in English where they arise (and logs them so), and the
//! HTTP layer translates the public message at the edge. Messages built with values in them
//! fall back to their error code's translated message.

use std::collections::HashMap;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

use crate::error::ErrorCode;

pub mod settings;

/// A language Sesame ships complete catalogs for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Language {
    /// English, the source language.
    En,
    /// German.
    De,
    /// French.
    Fr,
    /// Spanish.
    Es,
}

impl Language {
    /// Every shipped language, English first.
    pub const ALL: [Language; 4] = [Language::En, Language::De, Language::Fr, Language::Es];

    /// The BCP 47 tag (`en`, `de`, ...), as in `<html lang>` and `Content-Language`.
    pub fn tag(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::De => "de",
            Language::Fr => "fr",
            Language::Es => "es",
        }
    }

    /// The shipped language with this tag (case-insensitive; a region such as `de-AT` is
    /// read as its language).
    pub fn from_tag(tag: &str) -> Option<Language> {
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        Language::ALL
            .into_iter()
            .find(|l| l.tag().eq_ignore_ascii_case(primary))
    }

    /// The language to answer a request in: the best of `allowed` for its `Accept-Language`
    /// (`None` when absent), else `default`.
    pub fn negotiate(
        accept_language: Option<&str>,
        allowed: &[Language],
        default: Language,
    ) -> Language {
        let Some(header) = accept_language else {
            return default;
        };
        // Only the first 512 bytes: a longer header is not a browser's, and parsing stays cheap.
        let header = truncate_at_char(header, 512);
        // The most preferred tag whose language is allowed; a region (`de-AT`) or script
        // falls back to its language.
        by_preference(header)
            .into_iter()
            .filter_map(Language::from_tag)
            .find(|l| allowed.contains(l))
            .unwrap_or(default)
    }

    /// The message `id` with `args`, in this language (English when this language lacks it,
    /// the id itself when English does too).
    pub fn text(self, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        format_message(self, id, args)
            .or_else(|| format_message(Language::En, id, args))
            .unwrap_or_else(|| id.to_owned())
    }

    /// The message `id` without arguments; see [`Language::text`].
    pub fn t(self, id: &str) -> String {
        self.text(id, &[])
    }

    /// A public error message in this language: the translation of `english` when the
    /// catalogs know that text, else the translated message of `code`.
    pub fn error_message(self, code: ErrorCode, english: &str) -> String {
        if self == Language::En {
            return english.to_owned();
        }
        match english_error_ids().get(english) {
            Some(id) => self.t(id),
            None => self.t(&format!("code-{}", code.as_str())),
        }
    }
}

/// The languages an `Accept-Language` header names, most preferred first: by weight (`q`),
/// ties in the order given, `q=0` ("not acceptable") and unparsable entries left out. At most
/// 32 entries are read.
fn by_preference(header: &str) -> Vec<&str> {
    let mut weighted: Vec<(u16, &str)> = Vec::new();
    for entry in header.split(',').take(32) {
        let mut parts = entry.split(';').map(str::trim);
        let Some(tag) = parts.next().filter(|t| !t.is_empty()) else {
            continue;
        };
        let mut weight = 1000;
        for parameter in parts {
            if let Some(q) = parameter
                .strip_prefix("q=")
                .or_else(|| parameter.strip_prefix("Q="))
            {
                weight = match q.parse::<f32>() {
                    Ok(q) if (0.0..=1.0).contains(&q) => (q * 1000.0).round() as u16,
                    _ => 0,
                };
            }
        }
        if weight > 0 {
            weighted.push((weight, tag));
        }
    }
    // Stable: equal weights keep the order the browser gave.
    weighted.sort_by_key(|w| std::cmp::Reverse(w.0));
    weighted.into_iter().map(|(_, tag)| tag).collect()
}

fn truncate_at_char(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The catalog files, one per area of Sesame; every language has each of them.
pub const CATALOG_FILES: [&str; 11] = [
    "common",
    "sign-in",
    "account",
    "sessions",
    "two-factor",
    "passkeys",
    "oauth",
    "mail",
    "errors",
    "unified-sign-in",
    "account-changes",
];

/// The Fluent sources of `language`, in [`CATALOG_FILES`] order.
pub fn catalog_sources(language: Language) -> [&'static str; 11] {
    macro_rules! files {
        ($lang:literal) => {
            [
                include_str!(concat!("../locales/", $lang, "/common.ftl")),
                include_str!(concat!("../locales/", $lang, "/sign-in.ftl")),
                include_str!(concat!("../locales/", $lang, "/account.ftl")),
                include_str!(concat!("../locales/", $lang, "/sessions.ftl")),
                include_str!(concat!("../locales/", $lang, "/two-factor.ftl")),
                include_str!(concat!("../locales/", $lang, "/passkeys.ftl")),
                include_str!(concat!("../locales/", $lang, "/oauth.ftl")),
                include_str!(concat!("../locales/", $lang, "/mail.ftl")),
                include_str!(concat!("../locales/", $lang, "/errors.ftl")),
                include_str!(concat!("../locales/", $lang, "/unified-sign-in.ftl")),
                include_str!(concat!("../locales/", $lang, "/account-changes.ftl")),
            ]
        };
    }
    match language {
        Language::En => files!("en"),
        Language::De => files!("de"),
        Language::Fr => files!("fr"),
        Language::Es => files!("es"),
    }
}

type Bundle = FluentBundle<FluentResource>;

/// The catalog of `language`, parsed at its first use (the component parses only the
/// languages it is asked for). A file that does not parse keeps its valid messages; the
/// catalog test fails on any error, so shipped catalogs have none.
fn bundle(language: Language) -> &'static Bundle {
    static BUNDLES: [OnceLock<Bundle>; 4] = [
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
    ];
    let index = Language::ALL
        .iter()
        .position(|l| *l == language)
        .unwrap_or(0);
    BUNDLES[index].get_or_init(|| {
        let id: LanguageIdentifier = language.tag().parse().unwrap_or_default();
        let mut bundle = FluentBundle::new_concurrent(vec![id]);
        // Pages escape what they insert themselves; isolation marks would show in mail.
        bundle.set_use_isolating(false);
        for source in catalog_sources(language) {
            let resource = match FluentResource::try_new(source.to_owned()) {
                Ok(resource) | Err((resource, _)) => resource,
            };
            // A duplicate id keeps its first definition; the catalog test forbids them.
            let _ = bundle.add_resource(resource);
        }
        bundle
    })
}

fn format_message(
    language: Language,
    id: &str,
    args: &[(&str, FluentValue<'_>)],
) -> Option<String> {
    let bundle = bundle(language);
    let pattern = bundle.get_message(id)?.value()?;
    let mut fluent_args = FluentArgs::new();
    for (name, value) in args {
        fluent_args.set(*name, value.clone());
    }
    let mut errors = Vec::new();
    let text = bundle.format_pattern(
        pattern,
        (!args.is_empty()).then_some(&fluent_args),
        &mut errors,
    );
    Some(text.into_owned())
}

/// English error text → catalog id, for the error messages without values in them (ids
/// starting with `error-`).
fn english_error_ids() -> &'static HashMap<String, String> {
    static IDS: OnceLock<HashMap<String, String>> = OnceLock::new();
    IDS.get_or_init(|| {
        let source = catalog_sources(Language::En)[8];
        let Ok(resource) = FluentResource::try_new(source.to_owned()) else {
            return HashMap::new();
        };
        resource
            .entries()
            .filter_map(|entry| match entry {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                _ => None,
            })
            .filter(|id| id.starts_with("error-"))
            .filter_map(|id| format_message(Language::En, &id, &[]).map(|text| (text, id)))
            .collect()
    })
}

#[cfg(test)]
mod tests;
