//! Outgoing mail: what Sesame asks its host to deliver, and the trait the host delivers it by.
//!
//! Core writes every mail from the `mail-*` messages of the catalogs: to an account in its
//! owner's language (their browser's at registration and at each password sign-in since),
//! otherwise in the language of the request that caused it ([`crate::Sesame::language`]);
//! naming the service by the deployment's product name and closing with its support link
//! when it has one. Every mail has a plain-text part and an HTML part with the same
//! paragraphs and links in the deployment's brand ([`html`]).

mod html;

use fluent_bundle::FluentValue;

use crate::Sesame;
use crate::i18n::Language;

/// An email Sesame asks the host to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// The same message as an HTML document, sent beside the text as `multipart/alternative`;
    /// `None` when there is no HTML part (hosts then send the text alone).
    pub html: Option<String>,
}

/// Delivers Sesame's mail.
pub trait Mailer {
    /// Hands an email to the host for delivery. Infallible from core's view: the host logs
    /// what it cannot deliver, and core must answer the same whether or not mail went out (the
    /// answer would otherwise reveal which addresses have accounts).
    fn send_mail(&self, mail: &Mail);
}

impl Sesame<'_> {
    /// Runs `write` (which writes a mail to the account `record`) in the account's language
    /// when it has one: mail to an account is in its owner's language, not in that of whoever
    /// made Sesame send it (a stranger asking for a reset link, say).
    pub(crate) fn in_language_of<T>(
        &self,
        record: &crate::accounts::UserRecord,
        write: impl FnOnce() -> T,
    ) -> T {
        let own = record.language.as_deref().and_then(Language::from_tag);
        let Some(own) = own.filter(|l| self.config.languages.allowed.contains(l)) else {
            return write();
        };
        let asked = self.language();
        self.set_language(own);
        let written = write();
        self.set_language(asked);
        written
    }

    /// The catalog message `id` in the language of this request, with `args` and the product's
    /// name as `$product` (every mail message may name the service).
    pub(crate) fn mail_text(&self, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let product = self.config.branding.product_name.as_str();
        let mut all = Vec::with_capacity(args.len() + 1);
        all.push(("product", FluentValue::from(product)));
        all.extend(args.iter().cloned());
        self.language().text(id, &all)
    }

    /// Mails `to` the message whose subject is the catalog message `subject_id` and whose body
    /// is `paragraphs`, blank lines between them. The subject carries the product's name, so
    /// the recipient sees which service wrote before opening it; the body closes with the
    /// deployment's support link when it has one.
    pub(crate) fn send_branded_mail(&self, to: &str, subject_id: &str, paragraphs: &[String]) {
        self.host
            .send_mail(&self.branded_mail(to, subject_id, paragraphs));
    }

    /// The mail [`Sesame::send_branded_mail`] sends, composed and not sent: also the work a
    /// request for an unknown account does in its place, so both take the same time.
    pub(crate) fn branded_mail(&self, to: &str, subject_id: &str, paragraphs: &[String]) -> Mail {
        let subject = self.mail_text(
            "mail-subject",
            &[("subject", self.mail_text(subject_id, &[]).into())],
        );
        let body = paragraphs.join("\n\n");
        let support = self
            .config
            .branding
            .support_url
            .as_ref()
            .map(|url| self.mail_text("mail-support", &[("url", url.as_str().into())]));
        let html = html::render(
            &html::HtmlMail {
                lang: self.language().tag(),
                subject: &subject,
                body: &body,
                support: support.as_deref(),
            },
            &self.config.branding,
        );
        let mut text = body;
        if let Some(support) = &support {
            text.push_str("\n\n");
            text.push_str(support);
        }
        text.push('\n');
        Mail {
            to: to.to_owned(),
            subject,
            text,
            html,
        }
    }
}
