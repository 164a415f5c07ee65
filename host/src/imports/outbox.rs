//! `sesame:auth/outbox`: the component's mail (see `crate::outbox`) and account events (see
//! `crate::events`).

use crate::bindings::outbox::{self, Event, Mail};
use crate::ctx::SesameCtxView;

impl outbox::Host for SesameCtxView<'_> {
    async fn send_mail(&mut self, mail: Mail) -> wasmtime::Result<()> {
        self.mailer.deliver(mail);
        Ok(())
    }

    async fn emit_event(&mut self, event: Event) -> wasmtime::Result<()> {
        self.events.emit(event);
        Ok(())
    }
}
