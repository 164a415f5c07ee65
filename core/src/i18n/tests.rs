//! The catalogs: every shipped language complete, parseable, with the same variables as
//! English, and negotiation from `Accept-Language`.

use std::collections::{BTreeMap, BTreeSet};

use fluent_bundle::FluentResource;
use fluent_syntax::ast;

use super::*;

/// Message id → the variables its value uses, for one catalog file.
fn messages(language: Language, file: usize) -> BTreeMap<String, BTreeSet<String>> {
    let source = catalog_sources(language)[file];
    let resource = match FluentResource::try_new(source.to_owned()) {
        Ok(resource) => resource,
        Err((_, errors)) => panic!(
            "{}/{}.ftl does not parse: {errors:?}",
            language.tag(),
            CATALOG_FILES[file]
        ),
    };
    let mut found = BTreeMap::new();
    for entry in resource.entries() {
        if let ast::Entry::Message(m) = entry {
            let mut vars = BTreeSet::new();
            if let Some(value) = &m.value {
                collect_variables(value, &mut vars);
            }
            assert!(
                m.value.is_some(),
                "{}: {} has no value",
                language.tag(),
                m.id.name
            );
            let previous = found.insert(m.id.name.to_owned(), vars);
            assert!(
                previous.is_none(),
                "{}/{}.ftl defines {} twice",
                language.tag(),
                CATALOG_FILES[file],
                m.id.name
            );
        }
    }
    found
}

fn collect_variables(pattern: &ast::Pattern<&str>, vars: &mut BTreeSet<String>) {
    for element in &pattern.elements {
        if let ast::PatternElement::Placeable { expression } = element {
            collect_expression(expression, vars);
        }
    }
}

fn collect_expression(expression: &ast::Expression<&str>, vars: &mut BTreeSet<String>) {
    match expression {
        ast::Expression::Inline(inline) => collect_inline(inline, vars),
        ast::Expression::Select { selector, variants } => {
            collect_inline(selector, vars);
            for variant in variants {
                collect_variables(&variant.value, vars);
            }
        }
    }
}

fn collect_inline(inline: &ast::InlineExpression<&str>, vars: &mut BTreeSet<String>) {
    match inline {
        ast::InlineExpression::VariableReference { id } => {
            vars.insert(id.name.to_owned());
        }
        ast::InlineExpression::Placeable { expression } => collect_expression(expression, vars),
        ast::InlineExpression::FunctionReference { arguments, .. } => {
            for arg in &arguments.positional {
                collect_inline(arg, vars);
            }
        }
        _ => {}
    }
}

#[test]
fn every_language_has_every_message_with_the_same_variables() {
    let mut total = 0;
    for (file, name) in CATALOG_FILES.iter().enumerate() {
        let english = messages(Language::En, file);
        total += english.len();
        for language in &Language::ALL[1..] {
            let other = messages(*language, file);
            let missing: Vec<_> = english.keys().filter(|k| !other.contains_key(*k)).collect();
            let extra: Vec<_> = other.keys().filter(|k| !english.contains_key(*k)).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{}/{name}.ftl: missing {missing:?}, not in English {extra:?}",
                language.tag()
            );
            for (id, vars) in &english {
                assert_eq!(
                    &other[id],
                    vars,
                    "{}/{name}.ftl: {id} uses other variables than English",
                    language.tag()
                );
            }
        }
    }
    assert!(total > 0, "the English catalog is empty");
}

#[test]
fn no_id_is_defined_in_two_files() {
    for language in Language::ALL {
        let mut seen: BTreeMap<String, &str> = BTreeMap::new();
        for (file, name) in CATALOG_FILES.iter().enumerate() {
            for id in messages(language, file).into_keys() {
                if let Some(first) = seen.insert(id.clone(), name) {
                    panic!(
                        "{}: {id} is in both {first}.ftl and {name}.ftl",
                        language.tag()
                    );
                }
            }
        }
    }
}

#[test]
fn every_error_code_has_a_message_in_every_language() {
    for code in crate::error::ErrorCode::ALL {
        let id = format!("code-{}", code.as_str());
        for language in Language::ALL {
            let text = language.t(&id);
            assert_ne!(text, id, "{}: {id} is missing", language.tag());
        }
    }
}

#[test]
fn languages_are_negotiated_from_accept_language() {
    let all = Language::ALL;
    assert_eq!(Language::negotiate(None, &all, Language::En), Language::En);
    assert_eq!(
        Language::negotiate(Some("de-AT,de;q=0.9,en;q=0.5"), &all, Language::En),
        Language::De
    );
    assert_eq!(
        Language::negotiate(Some("fr-CA"), &all, Language::En),
        Language::Fr
    );
    assert_eq!(
        Language::negotiate(Some("ja, es;q=0.3"), &all, Language::En),
        Language::Es
    );
    // Not allowed by the deployment: the default.
    assert_eq!(
        Language::negotiate(Some("de"), &[Language::En, Language::Fr], Language::Fr),
        Language::Fr
    );
    assert_eq!(
        Language::negotiate(Some("xx, *"), &all, Language::De),
        Language::De
    );
    // Weights decide, not the order; q=0 means "not this one".
    assert_eq!(
        Language::negotiate(Some("de;q=0.1, fr;q=0.9"), &all, Language::En),
        Language::Fr
    );
    assert_eq!(
        Language::negotiate(Some("en;q=0, de"), &all, Language::Es),
        Language::De
    );
    assert_eq!(
        Language::negotiate(Some("de;q=0"), &all, Language::Es),
        Language::Es
    );
    assert_eq!(
        Language::negotiate(Some("de;q=NaN, fr;q=2, es;q=0.5"), &all, Language::En),
        Language::Es
    );
    let long = "de;q=0.1,".repeat(10_000);
    assert_eq!(
        Language::negotiate(Some(&long), &all, Language::En),
        Language::De
    );
}

#[test]
fn text_falls_back_to_english_then_to_the_id() {
    assert_eq!(Language::De.t("nav-sign-in"), "Anmelden");
    assert_eq!(
        Language::Fr.text("error-title", &[("status", 404.into())]),
        "Erreur 404"
    );
    assert_eq!(Language::Es.t("no-such-message"), "no-such-message");
}

#[test]
fn error_messages_are_translated_by_their_english_text_or_their_code() {
    let english = "There is no such route.";
    assert_eq!(
        Language::En.error_message(ErrorCode::NotFound, english),
        english
    );
    let german = Language::De.error_message(ErrorCode::NotFound, english);
    assert_ne!(german, english);
    // A message with a value in it: the code's message.
    let dynamic = Language::De.error_message(ErrorCode::NotFound, "No route for 7.");
    assert_eq!(dynamic, Language::De.t("code-not-found"));
}

/// The string literals core builds public errors from (`Error::rejected(code, "...")`,
/// `AuthError::new(code, "...")` and `const ..._MESSAGE`), without values in them.
fn error_literals() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![root];
    let mut found = Vec::new();
    while let Some(path) = files.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).into_iter().flatten().flatten() {
                files.push(entry.path());
            }
            continue;
        }
        let name = path.to_string_lossy().into_owned();
        if !name.ends_with(".rs") || name.contains("test") || name.contains("fuzzing") {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap_or_default();
        for marker in ["Error::rejected(", "AuthError::new(", "_MESSAGE: &str ="] {
            for (at, _) in source.match_indices(marker) {
                let rest = &source[at + marker.len()..];
                // The message is the first literal, when it comes before the call ends.
                let Some(open) = rest.find('"') else { continue };
                if rest[..open].contains(')') || rest[..open].contains(';') {
                    continue;
                }
                let mut literal = String::new();
                let mut chars = rest[open + 1..].chars();
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some('\n') => {
                                for c in chars.by_ref() {
                                    if !c.is_whitespace() {
                                        literal.push(c);
                                        break;
                                    }
                                }
                            }
                            Some('"') => literal.push('"'),
                            Some(other) => {
                                literal.push('\\');
                                literal.push(other);
                            }
                            None => {}
                        },
                        other => literal.push(other),
                    }
                }
                if !literal.contains('{') && literal.ends_with(['.', '!']) {
                    found.push((name.clone(), literal));
                }
            }
        }
    }
    found
}

#[test]
fn every_error_message_core_builds_is_in_the_catalog() {
    let literals = error_literals();
    assert!(
        literals.len() > 50,
        "the scan found only {}",
        literals.len()
    );
    let missing: Vec<_> = literals
        .iter()
        .filter(|(_, text)| !english_error_ids().contains_key(text.as_str()))
        .filter(|(_, text)| !text.starts_with("Registration received"))
        .collect();
    assert!(
        missing.is_empty(),
        "not in locales/en/errors.ftl: {missing:#?}"
    );
    for (_, text) in &literals {
        if let Some(id) = english_error_ids().get(text.as_str()) {
            for language in &Language::ALL[1..] {
                assert_ne!(
                    &language.t(id),
                    text,
                    "{}: {id} is not translated",
                    language.tag()
                );
            }
        }
    }
}
