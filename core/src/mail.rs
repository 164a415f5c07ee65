//! Outgoing mail: what Sesame asks its host to deliver, and the trait the host delivers it by.

/// An email Sesame asks the host to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
}

/// Delivers Sesame's mail.
pub trait Mailer {
    /// Hands an email to the host for delivery. Infallible from core's view: the host logs
    /// what it cannot deliver, and core must answer the same whether or not mail went out (the
    /// answer would otherwise reveal which addresses have accounts).
    fn send_mail(&self, mail: &Mail);
}
