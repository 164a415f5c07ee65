use super::*;
use crate::accounts::{NewUser, User};
use crate::html::escape;
use crate::mail::Mail;
use crate::notices::Notice;
use crate::testing::{ADA_EMAIL, ADA_PASSWORD, Fixture};

/// Every URL written in `text`, as the text part shows it.
fn urls_in(text: &str) -> Vec<String> {
    text.split_whitespace()
        .filter(|w| LINK_SCHEMES.iter().any(|s| w.starts_with(s)))
        .map(|w| {
            w.trim_end_matches(['.', ',', ';', ':', '!', '?', ')'])
                .to_owned()
        })
        .collect()
}

/// The mail holds an HTML part carrying every link of its text part, both as a link and as
/// visible text, and nothing remote but the configured logo.
fn assert_both_parts(mail: &Mail) {
    let html = mail
        .html
        .as_deref()
        .unwrap_or_else(|| panic!("no HTML part in {:?}", mail.subject));
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(!mail.text.is_empty());
    let urls = urls_in(&mail.text);
    assert!(
        !urls.is_empty(),
        "every mail links somewhere: {}",
        mail.text
    );
    for url in urls {
        let escaped = escape(&url);
        assert!(
            html.contains(&format!("<a href=\"{escaped}\"")),
            "{url} is no link in {html}"
        );
        assert!(
            html.contains(&format!(">{escaped}</a>")),
            "{url} not shown in {html}"
        );
    }
    assert!(
        !html.contains("<style"),
        "mail clients drop <style>: inline only"
    );
    assert!(!html.contains("<script"));
    assert!(!html.contains("<link"));
    assert!(!html.contains("<img"), "no remote resource without a logo");
}

fn mails(f: &Fixture) -> Vec<Mail> {
    f.env.outbox.lock().unwrap().clone()
}

#[test]
fn every_kind_of_mail_has_a_text_and_an_html_part() {
    let mut f = Fixture::new();
    f.config.branding.support_url = Some("https://help.example.com/".into());
    let s = f.sesame();
    // Confirmation.
    let user: User = s
        .create_user(&NewUser {
            email: ADA_EMAIL.into(),
            password: ADA_PASSWORD.into(),
            username: Some("ada".into()),
            roles: Vec::new(),
        })
        .unwrap();
    s.send_confirmation(&user).unwrap();
    // Someone registers the address again; someone registers with a taken username.
    s.register(ADA_EMAIL, "another long password", None)
        .unwrap();
    let _ = s.register("grace@example.com", "yet another password", Some("ada"));
    // Reset link.
    s.request_reset(ADA_EMAIL).unwrap();
    // Every security notice.
    for notice in [
        Notice::PasswordChanged,
        Notice::PasswordReset,
        Notice::TwoFactorOn,
        Notice::TwoFactorOff,
        Notice::RecoveryCodesRegenerated,
        Notice::PasskeyAdded,
        Notice::PasskeyRemoved,
    ] {
        s.security_notice(&user.id, notice, Some("192.0.2.7"))
            .unwrap();
    }
    let sent = mails(&f);
    let subjects: std::collections::BTreeSet<&str> =
        sent.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(subjects.len(), 11, "one of each kind: {subjects:?}");
    for mail in &sent {
        assert_both_parts(mail);
        let html = mail.html.as_deref().unwrap();
        assert!(
            html.contains("href=\"https://help.example.com/\""),
            "{html}"
        );
        // The text part is what it was: paragraphs and the support line.
        assert!(
            mail.text
                .ends_with("Help and support: https://help.example.com/\n")
        );
    }
}

#[test]
fn the_html_part_escapes_every_value_people_chose() {
    let mut f = Fixture::new();
    f.config.branding.product_name = "Ada's \"Shop\" <b>& co</b>".into();
    f.config.branding.logo_url = Some("https://cdn.example.com/logo.png?a=1&b=\"2\"".into());
    let s = f.sesame();
    s.register(ADA_EMAIL, ADA_PASSWORD, None).unwrap();
    let mail = mails(&f).pop().unwrap();
    let html = mail.html.unwrap();
    assert!(!html.contains("<b>"), "{html}");
    assert!(!html.contains("\"Shop\""), "{html}");
    assert!(
        html.contains("Ada&#39;s &quot;Shop&quot; &lt;b&gt;&amp; co&lt;&#x2f;b&gt;")
            || html.contains("Ada&#39;s &quot;Shop&quot; &lt;b&gt;&amp; co&lt;/b&gt;"),
        "{html}"
    );
    assert!(html.contains("<img src=\"https://cdn.example.com/logo.png?a=1&amp;b=&quot;2&quot;\""));
    // The subject carries the name too, escaped in the title.
    assert!(html.contains("<title>Confirm your email address - Ada&#39;s &quot;Shop&quot;"));
}

#[test]
fn markup_in_the_text_stays_text_and_only_web_and_mail_links_become_links() {
    let branding = crate::branding::Branding::default();
    let html = render(
        &HtmlMail {
            lang: "en",
            subject: "<script>alert(1)</script>",
            body: "Hello <script>alert(\"x\")</script>, from 192.0.2.1.\n\n\
                   Open https://example.com/a?b=1&c=\"d\"><img src=x>, not \
                   javascript:alert(1) or data:text/html,x.\nMail mailto:help@example.com.",
            support: None,
        },
        &branding,
    )
    .unwrap();
    assert!(!html.contains("<script"), "{html}");
    assert!(html.contains("Hello &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
    assert!(html.contains("<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>"));
    // The URL runs to the next space: its quote and angle brackets are escaped in the link.
    assert!(
        html.contains("<a href=\"https://example.com/a?b=1&amp;c=&quot;d&quot;&gt;&lt;img\""),
        "{html}"
    );
    assert!(!html.contains("<img"), "{html}");
    assert!(!html.contains("href=\"javascript:"));
    assert!(!html.contains("href=\"data:"));
    assert!(html.contains("<a href=\"mailto:help@example.com\""));
    assert_eq!(html.matches("<p ").count(), 2, "two paragraphs: {html}");
    assert!(
        html.contains("<br>"),
        "a line break inside a paragraph stays one"
    );
}

#[test]
fn links_end_before_the_punctuation_closing_their_sentence() {
    let cut = pieces("Reset it at https://x.example/reset now, or https://x.example/login.");
    let links: Vec<&str> = cut.iter().filter_map(|p| p.link.as_deref()).collect();
    assert_eq!(
        links,
        ["https://x.example/reset", "https://x.example/login"]
    );
    let text: String = cut
        .iter()
        .map(|p| p.text.as_deref().or(p.link.as_deref()).unwrap())
        .collect();
    assert_eq!(
        text,
        "Reset it at https://x.example/reset now, or https://x.example/login."
    );
    // A scheme alone, or glued to a word, is no link.
    let glued = pieces("xhttps://a then https://b.example/");
    let links: Vec<&str> = glued.iter().filter_map(|p| p.link.as_deref()).collect();
    assert_eq!(links, ["https://b.example/"]);
    assert!(
        pieces("see https:// and xhttps://a")
            .iter()
            .all(|p| p.link.is_none())
    );
}
