//! The HTML part of Sesame's mail: the same paragraphs as the text part, in a layout carrying
//! the deployment's brand, rendered from a minijinja template compiled into core.
//!
//! Mail clients drop `<style>` elements and block remote content, so the layout uses inline
//! styles only and loads nothing but the deployment's own logo. Every value is escaped
//! (`&`, `<`, `>`, quotes): the text of a mail holds values people chose (a username, an
//! address, the product name), and the HTML part must not let any of them become markup.
//! Links are real `<a>` elements whose text is the URL itself, so a reader sees where a link
//! goes, as in the text part; only `https://`, `http://` and `mailto:` become links.

use std::sync::OnceLock;

use minijinja::{Environment, UndefinedBehavior, Value};

use crate::branding::Branding;

/// The layout of every mail's HTML part.
const LAYOUT: &str = include_str!("../../templates/mail/layout.html");

/// The template's name: `.html`, so minijinja escapes every value it prints.
const LAYOUT_NAME: &str = "mail/layout.html";

/// Work one mail may take to render (minijinja's fuel): the layout over a few paragraphs uses
/// a few thousand units; the bound only keeps a mistake from running on.
const MAIL_FUEL: u64 = 200_000;

/// Schemes that become links; anything else (`javascript:`, `data:`) stays text.
const LINK_SCHEMES: [&str; 3] = ["https://", "http://", "mailto:"];

/// A run of a line: text, or a link shown as its own URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Piece {
    /// Plain text, when this piece is not a link.
    text: Option<String>,
    /// The URL, when this piece is a link.
    link: Option<String>,
}

/// What the layout is filled with.
pub(crate) struct HtmlMail<'a> {
    /// The language tag of the mail (`lang` of the document).
    pub(crate) lang: &'a str,
    /// The subject line, as the document's title.
    pub(crate) subject: &'a str,
    /// The body as paragraphs of text, the same as the text part's.
    pub(crate) body: &'a str,
    /// The closing support line, when the deployment has a support link.
    pub(crate) support: Option<&'a str>,
}

/// Renders `mail` in the brand of `branding`; `None` only if the compiled-in layout failed to
/// render, in which case the mail goes out as text alone rather than not at all.
pub(crate) fn render(mail: &HtmlMail<'_>, branding: &Branding) -> Option<String> {
    let environment = environment().as_ref().ok()?;
    let template = environment.get_template(LAYOUT_NAME).ok()?;
    let paragraphs: Vec<Vec<Vec<Value>>> = paragraphs(mail.body)
        .map(|paragraph| paragraph.lines().map(|l| values(&pieces(l))).collect())
        .collect();
    let values = minijinja::context! {
        lang => mail.lang,
        subject => mail.subject,
        product => branding.product_name.as_str(),
        logo => branding.logo_url.as_deref(),
        color => branding.primary_color.as_str(),
        paragraphs => paragraphs,
        support => mail.support.map(|line| values(&pieces(line))),
    };
    template.render(values).ok()
}

/// `pieces` as the template reads them: `text` and `link`, one of them `none`.
fn values(pieces: &[Piece]) -> Vec<Value> {
    pieces
        .iter()
        .map(|p| minijinja::context! { text => p.text.clone(), link => p.link.clone() })
        .collect()
}

/// The paragraphs of `text`: runs of lines between blank lines.
fn paragraphs(text: &str) -> impl Iterator<Item = &str> {
    text.split("\n\n")
        .map(|p| p.trim_matches('\n'))
        .filter(|p| !p.trim().is_empty())
}

/// `line` cut into text and links. A link runs from its scheme to the next whitespace, less
/// closing punctuation that ends the sentence around it (`... at https://x/reset now.`).
pub(crate) fn pieces(line: &str) -> Vec<Piece> {
    let mut found = Vec::new();
    let mut text = String::new();
    let mut rest = line;
    while !rest.is_empty() {
        let start = LINK_SCHEMES
            .iter()
            .filter_map(|scheme| rest.find(scheme))
            .min();
        let Some(start) = start else {
            text.push_str(rest);
            break;
        };
        if rest[..start].ends_with(|c: char| c.is_alphanumeric()) {
            // Glued to a word (`xhttps://`): text, up to and with the scheme's first letter
            // (ASCII, so the cut is on a character boundary); later links still count.
            text.push_str(&rest[..=start]);
            rest = &rest[start + 1..];
            continue;
        }
        text.push_str(&rest[..start]);
        let after = &rest[start..];
        let end = after.find(char::is_whitespace).unwrap_or(after.len());
        let url = after[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '"', '\'']);
        if LINK_SCHEMES
            .iter()
            .any(|scheme| url.len() > scheme.len() && url.starts_with(scheme))
        {
            if !text.is_empty() {
                found.push(Piece {
                    text: Some(std::mem::take(&mut text)),
                    link: None,
                });
            }
            found.push(Piece {
                text: None,
                link: Some(url.to_owned()),
            });
            rest = &after[url.len()..];
        } else {
            // A scheme with nothing after it is text.
            let scheme_len = after[..end].len().max(1);
            text.push_str(&after[..scheme_len]);
            rest = &after[scheme_len..];
        }
    }
    if !text.is_empty() {
        found.push(Piece {
            text: Some(text),
            link: None,
        });
    }
    found
}

/// The mail template environment, built once.
fn environment() -> &'static Result<Environment<'static>, String> {
    static COMPILED: OnceLock<Result<Environment<'static>, String>> = OnceLock::new();
    COMPILED.get_or_init(|| {
        let mut environment = Environment::new();
        environment.set_undefined_behavior(UndefinedBehavior::Strict);
        environment.set_fuel(Some(MAIL_FUEL));
        environment
            .add_template(LAYOUT_NAME, LAYOUT)
            .map_err(|e| format!("mail template: {e}"))?;
        environment.set_formatter(crate::html::escaping_formatter);
        Ok(environment)
    })
}

#[cfg(test)]
mod tests;
